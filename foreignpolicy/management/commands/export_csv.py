from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from foreignpolicy.file_formats import CsvFormat, XlsxFormat
from foreignpolicy.jobs import export_file
from foreignpolicy.management.progress import progress_for
from foreignpolicy.registry import RESOURCES, resource_for
from foreignpolicy.tabular import csv_pieces


class Command(BaseCommand):
    help = (
        "Export all directorates, agreements or events in the documented format (drafts included): CSV, or Excel "
        "when the output file ends in .xlsx."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(RESOURCES))
        parser.add_argument(
            "--output", type=Path, help="File to write, .csv or .xlsx (default: CSV on standard output)."
        )

    def handle(self, kind, output, **options):
        # The file is written as the records are read, so it is never held whole.
        resource = resource_for(kind)
        queryset = resource.get_queryset()
        watched = output or not self.stdout.isatty()
        progress = progress_for(self, queryset.count(), _("Exporting")) if watched else None
        if output:
            file_format = XlsxFormat() if output.suffix.lower() == ".xlsx" else CsvFormat()
            with output.open("wb") as file:
                count = export_file(resource, queryset, file_format, file, progress)
            written = ngettext("%(count)d record written to %(file)s.", "%(count)d records written to %(file)s.", count)
            self.stderr.write(self.style.SUCCESS(written % {"count": count, "file": output}))
        else:
            rows = resource.export_rows(queryset, progress=progress)
            for piece in csv_pieces(resource.get_export_headers(), rows):
                self.stdout.write(piece.decode("utf-8"), ending="")
