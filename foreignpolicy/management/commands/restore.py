from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from foreignpolicy.backups.archive import BackupProblem
from foreignpolicy.backups.restoring import restore_backup
from foreignpolicy.management.base import LocalisedCommand, import_account
from foreignpolicy.management.progress import progress_for


class Command(LocalisedCommand):
    help = (
        "Restore a backup written by manage.py backup into an empty, migrated database: the vocabularies, then the "
        "records through the import's checks, then their old addresses; all of it, or nothing."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file", type=Path, help="The backup's zip file.")

    def handle(self, file, **options):
        try:
            manifest, report = restore_backup(
                file,
                account=import_account,
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
