from pathlib import Path

from django.core.management.base import CommandError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from foreignpolicy.backups.writing import write_backup_file
from foreignpolicy.management.base import LocalisedCommand


class Command(LocalisedCommand):
    help = (
        "Write a backup of every record (drafts included) and every vocabulary to FILE: a zip of CSV files in the "
        "documented format, for manage.py restore (docs/csv-format.md, “Backups”)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", type=Path, help="The zip file to write.")
        parser.add_argument("--force", action="store_true", help="Replace FILE if it exists.")

    def handle(self, file, force, **options):
        exists = _("%(file)s already exists; give another name, or --force to replace it.") % {"file": file}
        if file.exists() and not force:
            raise CommandError(exists)
        try:
            manifest = write_backup_file(file, force=force)
        except FileExistsError as error:
            raise CommandError(exists) from error
        except OSError as error:
            message = _("Cannot write %(file)s: %(reason)s.") % {"file": file, "reason": error.strerror}
            raise CommandError(message) from error
        for entry in manifest["files"]:
            rows = ngettext("%(count)s row", "%(count)s rows", entry["rows"])
            self.stdout.write(
                f"{entry['name']}: " + rows % {"count": number_format(entry["rows"], force_grouping=True)}
            )
        self.stdout.write(self.style.SUCCESS(_("Backup written to %(file)s.") % {"file": file}))
