from pathlib import Path

from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext as _

from agreements.models import Agreement
from directorates.models import Directorate
from events.models import Event
from foreignpolicy.management.base import LocalisedCommand

DEMO = Path(__file__).resolve().parent.parent.parent / "demo"
ORDER = ["directorates", "agreements", "steps", "participants", "events"]


class Command(LocalisedCommand):
    help = "Load the demo content drawn from the seed documents, through import_csv; loading again changes nothing."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds records, so that staff edits are never overwritten.",
        )

    def handle(self, if_empty, **options):
        if if_empty and any(model.objects.exists() for model in (Directorate, Agreement, Event)):
            self.stdout.write(_("The database already holds records; the demo was not loaded again."))
            return
        for kind in ORDER:
            call_command(
                "import_csv",
                kind,
                DEMO / f"{kind}.csv",
                language=translation.get_language(),
                stdout=self.stdout,
                stderr=self.stderr,
            )
