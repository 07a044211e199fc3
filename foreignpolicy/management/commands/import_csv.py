from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from foreignpolicy.management.base import IMPORT_ACCOUNT, LocalisedCommand, import_account
from foreignpolicy.management.progress import progress_for
from foreignpolicy.registry import RESOURCES, resource_for
from foreignpolicy.tabular import FileProblem, read_table


class Command(LocalisedCommand):
    help = (
        "Import directorates, agreements or events from a CSV or Excel (.xlsx) file in the documented format "
        "(docs/csv-format.md)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("kind", choices=sorted(RESOURCES))
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report, writing nothing.")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Treat warnings (likely duplicates; status and dates that disagree) as problems: nothing is imported.",
        )
        parser.add_argument(
            "--user",
            help=f"Username recorded in the change history (default: a non-login account named “{IMPORT_ACCOUNT}”).",
        )

    def handle(self, kind, file, dry_run, strict, user, **options):
        self.run(kind, file, dry_run, strict, import_account(user))

    def run(self, kind, file, dry_run, strict, account):
        try:
            dataset = read_table(file.read_bytes(), file.name)
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s.") % {"file": file, "reason": error.strerror}
            ) from error
        except FileProblem as problem:
            raise CommandError(f"{file.name}: {problem} " + _("Nothing was imported.")) from problem
        result = resource_for(kind).import_data(
            dataset,
            dry_run=dry_run,
            use_transactions=True,
            user=account,
            file_name=file.name,
            strict=strict,
            progress=progress_for(self, len(dataset), _("Checking rows")),
        )
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(str(warning)))
        if result.problems:
            for problem in result.problems:
                self.stderr.write(str(problem))
            found = ngettext("%(count)d problem found", "%(count)d problems found", len(result.problems)) % {
                "count": len(result.problems)
            }
            raise CommandError(f"{file.name}: {found}; " + _("nothing was imported. Correct the file and run again."))
        prefix = _("Dry run, nothing written: ") if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{file.name}: {result.summary()}"))
