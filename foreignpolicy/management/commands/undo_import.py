from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from foreignpolicy.imports.undo import undo_import
from foreignpolicy.management.base import LocalisedCommand, import_account
from foreignpolicy.models import ImportRecord
from foreignpolicy.registry import resource_for_import


class Command(LocalisedCommand):
    help = (
        "Undo a confirmed import (its number is on its page under Imports): the records it created are deleted and "
        "those it changed get their previous values back. Refused when any of them changed since."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("number", type=int, help="The import's number.")
        parser.add_argument("--dry-run", action="store_true", help="Say what undoing would do, writing nothing.")
        parser.add_argument("--user", help="Username recorded in the change history (default: the import account).")

    def handle(self, number, dry_run, user, **options):
        try:
            record = ImportRecord.objects.select_related("content_type").get(pk=number)
        except ImportRecord.DoesNotExist as error:
            raise CommandError(_("There is no import #%(number)d.") % {"number": number}) from error
        resource = resource_for_import(record)
        result = undo_import(record, import_account(user), resource, dry_run=dry_run)
        if result.problems:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(_("Import #%(number)d was not undone.") % {"number": number})
        prefix = _("Dry run, nothing written: ") if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{record}: {result.summary()}"))
