from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from foreignpolicy.backups.archive import BackupProblem
from foreignpolicy.backups.restoring import restore_backup
from foreignpolicy.management.commands.import_csv import Command as ImportCommand
from foreignpolicy.management.progress import progress_for


class Command(BaseCommand):
    help = (
        "Restore a backup written by manage.py backup into an empty, migrated database: the vocabularies, then the "
        "records through the import's checks, then their old addresses; all of it, or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The backup's zip file.")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="Language of the messages (default: %(default)s).",
        )

    def handle(self, file, language, **options):
        with translation.override(language):
            try:
                manifest, report = restore_backup(
                    file,
                    account=lambda: ImportCommand().account(None),
                    progress=lambda rows: progress_for(self, rows, _("Checking rows")),
                )
            except BackupProblem as problem:
                for message in problem.messages:
                    self.stderr.write(message)
                raise CommandError(_("%(file)s was not restored; nothing was written.") % {"file": file}) from problem
            for name, summary in report:
                self.stdout.write(f"{name}: {summary}")
            message = _("Restored the backup made on %(moment)s from %(file)s.")
            self.stdout.write(self.style.SUCCESS(message % {"moment": manifest["created_at"], "file": file}))
