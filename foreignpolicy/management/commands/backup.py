from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from foreignpolicy.backups.writing import write_backup_file


class Command(BaseCommand):
    help = (
        "Write a backup of every record (drafts included) and every vocabulary to FILE: a zip of CSV files in the "
        "documented format, for manage.py restore (docs/csv-format.md, “Backups”)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The zip file to write.")
        parser.add_argument("--force", action="store_true", help="Replace FILE if it exists.")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="Language of the messages (default: %(default)s).",
        )

    def handle(self, file, force, language, **options):
        with translation.override(language):
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
