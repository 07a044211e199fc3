"""`import_csv agreements` beside PostgreSQL's COPY of the same rows, at 10,000 and
100,000 rows, with each command's peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench .venv/bin/python bench/import_scale.py

(or `make bench-import-scale`). The database named there is emptied and rebuilt, with the
demo loaded. Each row of the generated file is a bilingual agreement with 2 to 4 parties,
1 or 2 topics and a directorate; few rows look like likely duplicates, as in a real
file (each would be a warning). For each size, in this order, each step a process of its
own, timed from its start to its end (so Django's start-up is included), with the peak
resident memory the kernel reports for that process. "× COPY" divides a step's time by
the COPY's; both include Django's start-up, also timed on its own (an empty process that
sets Django up):

- "COPY": Python reads the file with the csv module and sends its rows with psycopg's
  COPY into a bare table of text columns (no index, no constraint): the least any import
  written in Python does with the same rows;
- `import_csv` of the file, all new records;
- `import_csv` of the same file again, every row unchanged;
- `import_csv --dry-run` of the file with one title in ten changed.

Prints a Markdown table for docs/performance.md.
"""

import argparse
import csv
import io
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.test")

FIRST_SIGNATURE = date(1990, 1, 1)
HEADER = [
    "slug",
    "title_en",
    "title_es",
    "type",
    "status",
    "parties",
    "directorate",
    "topics",
    "signed_on",
    "in_force_on",
    "summary_en",
    "summary_es",
    "published",
]


def agreements_file(rows, changed_every=0):
    """The file's bytes; with `changed_every`, every such row's English title differs."""
    # Imported here: bench.admin_import sets Django up, which the COPY's own process keeps lean.
    from bench.admin_import import PARTIES, TOPICS

    random.seed(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for n in range(rows):
        changed = changed_every and n % changed_every == 0
        # Few rows alike (same type, parties and signature): a real file's likely duplicates.
        signed = FIRST_SIGNATURE + timedelta(days=n % 12000)
        writer.writerow(
            [
                f"scale-{n}",
                f"Agreement {n} between the parties" + (" (amended)" if changed else ""),
                f"Acuerdo {n} entre las partes",
                "free-trade-agreement",
                "in_force",
                ";".join(random.sample(PARTIES, random.randint(2, 4))),
                "economic-affairs",
                ";".join(random.sample(TOPICS, random.randint(1, 2))),
                signed.isoformat(),
                f"{signed.year + 1}",
                f"Trade in goods and services between Peru and the parties of agreement {n}.",
                f"Comercio de bienes y servicios entre el Perú y las partes del acuerdo {n}.",
                "yes",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def copy_into_bare_table(path):
    """The baseline, run in its own process: the file's rows through psycopg's COPY."""
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare")
        cursor.execute("CREATE TABLE bench_bare (" + ", ".join(f'"{name}" text' for name in HEADER) + ")")
        with open(path, newline="", encoding="utf-8") as file, cursor.cursor.copy("COPY bench_bare FROM STDIN") as copy:
            rows = csv.reader(file)
            next(rows)
            for row in rows:
                copy.write_row(row)
        cursor.execute("SELECT count(*) FROM bench_bare")
        print(cursor.fetchone()[0], "rows copied")
        cursor.execute("DROP TABLE bench_bare")


def measured(command):
    """(seconds, peak resident MB, output) of a command run in a process of its own."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed:\n{output}")
    return seconds, usage.ru_maxrss / 1024, output.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--copy", help=argparse.SUPPRESS)  # the baseline's own process
    arguments = parser.parse_args()
    if arguments.copy:
        copy_into_bare_table(arguments.copy)
        return
    import django

    django.setup()
    from django.db import connection

    from bench.admin_import import rebuilt_database_with_demo

    python = sys.executable
    server = connection.cursor().connection.info.parameter_status("server_version")
    print(f"PostgreSQL {server}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print()
    print("| rows | file | step | time | × COPY | peak memory | says |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | --- |")
    for rows in [int(size) for size in arguments.sizes.split(",")]:
        rebuilt_database_with_demo()
        connection.close()  # the commands below open their own
        with tempfile.TemporaryDirectory() as folder:
            file, changed = Path(folder) / "agreements.csv", Path(folder) / "changed.csv"
            file.write_bytes(agreements_file(rows))
            changed.write_bytes(agreements_file(rows, changed_every=10))
            manage = [python, "-W", "ignore", "manage.py", "import_csv", "--language", "en", "agreements"]
            steps = [
                ("COPY into a bare table", [python, "-W", "ignore", __file__, "--copy", str(file)]),
                ("`import_csv`, all new", [*manage, str(file)]),
                ("`import_csv`, the same file again", [*manage, str(file)]),
                ("`import_csv --dry-run`, one title in ten changed", [*manage, "--dry-run", str(changed)]),
            ]
            start_up, _megabytes, _said = measured([python, "-c", "import django; django.setup(); print('set up')"])
            copy_seconds = None
            for label, command in steps:
                seconds, megabytes, said = measured(command)
                copy_seconds = copy_seconds or seconds
                print(
                    f"| {rows} | {file.stat().st_size / 1e6:.1f} MB | {label} | {seconds:.1f} s | "
                    f"{seconds / copy_seconds:.1f} | {megabytes:.0f} MB | "
                    f"{said.replace(str(folder) + '/', '')} |",
                    flush=True,
                )
            print(f"| {rows} | | Django's start-up, in each time above | {start_up:.1f} s | | | |")


if __name__ == "__main__":
    main()
