from pathlib import Path

from django.core.management.base import BaseCommand

from foreignpolicy.registry import RESOURCES, resource_for
from foreignpolicy.tabular import write_csv


class Command(BaseCommand):
    help = "Export all directorates, agreements or events as CSV in the documented format (drafts included)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(RESOURCES))
        parser.add_argument("--output", type=Path, help="File to write (default: standard output).")

    def handle(self, kind, output, **options):
        dataset = resource_for(kind).export()
        data = write_csv(dataset)
        if output:
            output.write_bytes(data)
            self.stderr.write(self.style.SUCCESS(f"{len(dataset)} {kind} written to {output}."))
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
