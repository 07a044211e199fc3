"""Upload, preview, confirm and undo of a large agreements file, through the pipeline the
admin and `import_csv` share, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench .venv/bin/python bench/import_undo.py

(or `make bench-undo`). The database named there is emptied and rebuilt, with the demo
loaded. Two files are timed: one of new records, and then one that changes every title of
those records; each is read (upload), checked (preview, a dry run), written (confirm) and
undone. "peak memory" is the process's maximum resident size after that file, so it
includes everything before it. Prints Markdown tables for docs/performance.md: the times,
the confirm's write stage step by step, and what the generated search vector and its GIN
index cost a COPY of the new records (into copies of the table, left out of the times).
"""

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import translation  # noqa: E402

from agreements.models import Agreement  # noqa: E402
from bench.admin_import import agreements_file, rebuilt_database_with_demo, timed  # noqa: E402
from foreignpolicy.imports import results, writing  # noqa: E402
from foreignpolicy.imports.undo import undo_import  # noqa: E402
from foreignpolicy.registry import resource_for  # noqa: E402
from foreignpolicy.tabular import read_table  # noqa: E402

STEPS = {}


def timing(module, name, label):
    """Make module.name add the time it takes to STEPS[label]."""
    original = getattr(module, name)

    def timed_call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            STEPS[label] = STEPS.get(label, 0) + time.perf_counter() - start

    setattr(module, name, timed_call)


timing(results, "write", "write stage")  # as write_or_report calls it
timing(writing, "write_relations", "links")
timing(writing, "record_revision", "revisions")


def peak_megabytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows, variant, user):
    data = agreements_file(rows, variant)
    dataset, read_seconds = timed(lambda: read_table(data, "agreements.csv"))
    preview, preview_seconds = timed(lambda: resource_for("agreements").import_data(dataset, dry_run=True, user=user))
    assert not preview.problems, preview.problems[:3]
    STEPS.clear()
    confirm, confirm_seconds = timed(
        lambda: resource_for("agreements").import_data(dataset, dry_run=False, user=user, file_name="bench.csv")
    )
    assert not confirm.problems and confirm.record, confirm.problems[:3]
    steps = dict(STEPS, confirm=confirm_seconds)
    undone, undo_seconds = timed(lambda: undo_import(confirm.record, user, resource_for("agreements")))
    assert not undone.problems, undone.problems[:3]
    return steps, (preview.summary(), len(data), read_seconds, preview_seconds, confirm_seconds, undo_seconds)


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
    steps = {}
    for label, variant, on_top in scenarios:
        if on_top:  # the changed file needs the records it changes
            resource_for("agreements").import_data(
                read_table(agreements_file(rows, "v1"), "a.csv"), dry_run=False, user=user, file_name="base.csv"
            )
        steps[label], (summary, size, *seconds) = run(rows, variant, user)
        times = " | ".join(f"{value:.1f} s" for value in seconds)
        print(f"| {label} | {size / 1e6:.1f} MB | {summary} | {times} | {peak_megabytes():.0f} MB |")
    assert Agreement.objects.count() == before + rows
    print()
    print("| confirm of | write stage | records and the rest | links | revisions | revisions / confirm |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, times in steps.items():
        rest = times["write stage"] - times["links"] - times["revisions"]
        cells = [times["write stage"], rest, times["links"], times["revisions"]]
        share = times["revisions"] / times["confirm"]
        print(f"| {label} | " + " | ".join(f"{value:.1f} s" for value in cells) + f" | {share:.0%} |")
    print()
    print(f"| COPY of the {rows} agreements into a copy of their table | time |")
    print("| --- | ---: |")
    for label, seconds in copy_costs().items():
        print(f"| {label} | {seconds:.1f} s |")


def copy_costs():
    """How long a COPY of the benchmark's records takes into a copy of the table as it is,
    without the generated search vector (and so its GIN index), and without any index."""
    table = Agreement._meta.db_table
    columns = ", ".join(f'"{field.column}"' for field in Agreement._meta.concrete_fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY (SELECT {columns} FROM {table} WHERE slug LIKE 'bench-%') TO STDOUT") as copy:
            data = b"".join(bytes(block) for block in copy)
        variants = {
            "as it is: every index, the search vector and its GIN index": ("INCLUDING ALL", False),
            "without the search vector and its GIN index": ("INCLUDING ALL", True),
            "without any index nor the search vector": ("INCLUDING DEFAULTS", True),
        }
        costs = {}
        for label, (like, without_vector) in variants.items():
            cursor.execute(f"DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE {table} {like})")
            if without_vector:
                cursor.execute("ALTER TABLE bench_copy DROP COLUMN search_vector")
            start = time.perf_counter()
            with raw.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
                copy.write(data)
            costs[label] = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_copy")
    return costs


if __name__ == "__main__":
    main()
