"""Upload, preview, confirm and undo of a large agreements file, through the pipeline the
admin and `import_csv` share, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench .venv/bin/python bench/import_undo.py

(or `make bench-undo`). The database named there is emptied and rebuilt, with the demo
loaded. Two files are timed: one of new records, and then one that changes every title of
those records; each is read (upload), checked (preview, a dry run), written (confirm) and
undone. "peak memory" is the process's maximum resident size after that file, so it
includes everything before it. Prints a Markdown table for docs/performance.md.
"""

import argparse
import os
import platform
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import translation  # noqa: E402

from agreements.models import Agreement  # noqa: E402
from bench.admin_import import agreements_file, rebuilt_database_with_demo, timed  # noqa: E402
from foreignpolicy.imports.undo import undo_import  # noqa: E402
from foreignpolicy.registry import resource_for  # noqa: E402
from foreignpolicy.tabular import read_table  # noqa: E402


def peak_megabytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows, variant, user):
    data = agreements_file(rows, variant)
    dataset, read_seconds = timed(lambda: read_table(data, "agreements.csv"))
    preview, preview_seconds = timed(lambda: resource_for("agreements").import_data(dataset, dry_run=True, user=user))
    assert not preview.problems, preview.problems[:3]
    confirm, confirm_seconds = timed(
        lambda: resource_for("agreements").import_data(dataset, dry_run=False, user=user, file_name="bench.csv")
    )
    assert not confirm.problems and confirm.record, confirm.problems[:3]
    undone, undo_seconds = timed(lambda: undo_import(confirm.record, user, resource_for("agreements")))
    assert not undone.problems, undone.problems[:3]
    return preview.summary(), len(data), read_seconds, preview_seconds, confirm_seconds, undo_seconds


@translation.override("en")
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    user = rebuilt_database_with_demo()
    before = Agreement.objects.count()
    server = connection.cursor().connection.info.parameter_status("server_version")
    print(f"{rows} agreement rows; PostgreSQL {server}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print()
    print("| file | size | preview says | upload (read) | preview | confirm | undo | peak memory |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    scenarios = [("new records", "v1", False), ("every title changed", "v2", True)]
    for label, variant, on_top in scenarios:
        if on_top:  # the changed file needs the records it changes
            resource_for("agreements").import_data(
                read_table(agreements_file(rows, "v1"), "a.csv"), dry_run=False, user=user, file_name="base.csv"
            )
        summary, size, *seconds = run(rows, variant, user)
        times = " | ".join(f"{value:.1f} s" for value in seconds)
        print(f"| {label} | {size / 1e6:.1f} MB | {summary} | {times} | {peak_megabytes():.0f} MB |")
    assert Agreement.objects.count() == before + rows


if __name__ == "__main__":
    main()
