from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from foreignpolicy.management.progress import progress_for
from foreignpolicy.registry import RESOURCES, resource_for
from foreignpolicy.tabular import write_csv, write_xlsx


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
        resource = resource_for(kind)
        total = resource.get_queryset().count()
        dataset = resource.export(progress=progress_for(self, total, _("Exporting")) if output else None)
        if output:
            output.write_bytes(write_xlsx(dataset) if output.suffix.lower() == ".xlsx" else write_csv(dataset))
            self.stderr.write(self.style.SUCCESS(f"{len(dataset)} {kind} written to {output}."))
        else:
            self.stdout.write(write_csv(dataset).decode("utf-8"), ending="")
