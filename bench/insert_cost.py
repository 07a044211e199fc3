"""What PostgreSQL itself spends to take in a file's new agreements and their links,
whatever the Python in front of it does: the floor under `import_csv` of new records.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench .venv/bin/python bench/insert_cost.py

Run it on a database that holds the records to copy (after `make bench-import-scale`, the
100,000 imported agreements). Inside the server, with no Python in the way, the
agreements are copied by `INSERT … SELECT` into new tables shaped as the real one step by
step: no index or constraint; its b-tree indexes; the generated search vector; its GIN
index (the table as it is); and its foreign keys, deferred as Django declares them, which
PostgreSQL checks row by row at the COMMIT. Then each relation's links, the same way,
without and with their two foreign keys. Each step is one transaction, timed with its
COMMIT; the tables are dropped afterwards. Prints a Markdown table for
docs/performance.md.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from agreements.models import Agreement  # noqa: E402

COPY = "bench_copy"
AGREEMENT_SHAPES = [
    ("bare", "a bare table (no index, no constraint)"),
    ("b-tree indexes", "+ its b-tree indexes"),
    ("search vector and GIN index", "+ its generated search vector and GIN index (the table as it is)"),
    ("foreign keys", "+ its foreign keys, checked at the COMMIT"),
]


def timed(cursor, statement):
    start = time.perf_counter()
    cursor.execute("BEGIN")
    cursor.execute(statement)
    cursor.execute("COMMIT")
    return time.perf_counter() - start


def columns(cursor, table):
    cursor.execute(
        "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) FROM information_schema.columns"
        " WHERE table_name = %s AND is_generated = 'NEVER'",
        [table],
    )
    return cursor.fetchone()[0]


def shaped(cursor, table, shape):
    """A new, empty table like `table`, with as much of it as `shape` says."""
    cursor.execute(f"DROP TABLE IF EXISTS {COPY}")
    including = "INCLUDING DEFAULTS INCLUDING GENERATED" + (" INCLUDING INDEXES" if shape != "bare" else "")
    cursor.execute(f"CREATE TABLE {COPY} (LIKE {table} {including})")
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attgenerated = 's'",
        [COPY],
    )
    generated = [name for (name,) in cursor.fetchall()]
    if shape in ("bare", "b-tree indexes"):
        for name in generated:
            cursor.execute(f"ALTER TABLE {COPY} DROP COLUMN {name}")  # its GIN index goes with it
    if shape == "foreign keys":
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for (definition,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {COPY} ADD {definition}")


def main():
    if connection.vendor != "postgresql":
        sys.exit("Run this benchmark on PostgreSQL: set DATABASE_URL=postgres://…")
    table = Agreement._meta.db_table
    rows = Agreement.objects.count()
    links = {
        name: Agreement._meta.get_field(name).remote_field.through._meta.db_table
        for name in ("countries", "organisations", "topics")
    }
    connection.ensure_connection()
    connection.connection.autocommit = True
    server = connection.connection.info.parameter_status("server_version")
    print(f"{rows} agreements; PostgreSQL {server}, {os.cpu_count()} cores; one run")
    print()
    print("| rows | into | time |")
    print("| --- | --- | ---: |")
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        names = columns(cursor, table)
        for shape, label in AGREEMENT_SHAPES:
            shaped(cursor, table, shape)
            seconds = timed(cursor, f"INSERT INTO {COPY} ({names}) SELECT {names} FROM {table}")
            print(f"| {rows} agreements | {label} | {seconds:.2f} s |", flush=True)
        for relation, through in links.items():
            cursor.execute(f"SELECT count(*) FROM {through}")
            count = cursor.fetchone()[0]
            names = columns(cursor, through)
            for shape in ("bare", "foreign keys"):
                shaped(cursor, through, shape)
                seconds = timed(cursor, f"INSERT INTO {COPY} ({names}) SELECT {names} FROM {through}")
                label = "its table, bare" if shape == "bare" else "+ its index and foreign keys, checked at the COMMIT"
                print(f"| {count} links to {relation} | {label} | {seconds:.2f} s |", flush=True)
        cursor.execute(f"DROP TABLE {COPY}")


if __name__ == "__main__":
    main()
