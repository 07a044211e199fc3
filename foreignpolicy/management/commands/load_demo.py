from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO = Path(__file__).resolve().parent.parent.parent / "demo"
ORDER = ["directorates", "agreements", "events"]


class Command(BaseCommand):
    help = "Load the demo content drawn from the seed documents; loading again changes nothing."

    def handle(self, **options):
        for kind in ORDER:
            call_command("import_csv", kind, DEMO / f"{kind}.csv", stdout=self.stdout, stderr=self.stderr)
