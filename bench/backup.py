"""A backup of the demo and 300,000 agreements, and its restore, on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench_backup .venv/bin/python bench/backup.py

(or `make bench-backup`). The database named there is emptied and rebuilt, with the demo
loaded and the agreements added as bench/export.py adds them (each with 3 parties, 2
topics and a directorate); a database of the same name ending in `_restored` is dropped
and made again, and migrated. `manage.py backup` and then `manage.py restore` each run in
a process of their own, which reports its time and its own peak resident memory; then
`export_csv agreements` of both databases must be the same bytes.

Prints a Markdown table for the README ("Backup and restore").
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection
from export import ROOT, add_agreements, rebuilt_database  # sets Django up, on the database DATABASE_URL names


def timed(arguments, database_url):
    """Run a manage.py command against a database: (seconds, peak MB, its output's last line)."""
    environment = {**os.environ, "DATABASE_URL": database_url}
    with tempfile.NamedTemporaryFile("r") as peak:
        start = time.perf_counter()
        finished = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", peak.name, sys.executable, "-W", "ignore", "manage.py", *arguments],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - start
        megabytes = int(peak.read().split()[-1]) / 1024
    return seconds, megabytes, finished.stdout.strip().splitlines()[-1]


def exported(database_url, folder, name):
    output = folder / f"{name}.csv"
    environment = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run(
        [sys.executable, "manage.py", "export_csv", "agreements", "--output", str(output)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        check=True,
    )
    return output.read_bytes()


def made_again(name):
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=300_000)
    options = parser.parse_args()
    source = os.environ["DATABASE_URL"]
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    restored = source.rsplit("/", 1)[0] + f"/{restored_name}"
    rebuilt_database()
    for start in range(0, options.agreements, 50_000):
        add_agreements(start, min(options.agreements, start + 50_000))
    made_again(restored_name)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": restored},
        check=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        archive = folder / "backup.zip"
        backup = timed(["backup", str(archive), "--language", "en"], source)
        restore = timed(["restore", str(archive), "--language", "en"], restored)
        same = exported(source, folder, "before") == exported(restored, folder, "after")
        size = archive.stat().st_size
    print("| agreements | archive | `backup` | `restore` | `export_csv` after |")
    print("| ---: | ---: | ---: | ---: | --- |")
    print(
        f"| {options.agreements:,} | {size / 1e6:.1f} MB | {backup[0]:.0f} s, {backup[1]:.0f} MB "
        f"| {restore[0]:.0f} s, {restore[1]:.0f} MB | {'the same bytes' if same else 'DIFFERENT'} |"
    )
    if not same:
        sys.exit("The export after the restore differs from the export before.")


if __name__ == "__main__":
    main()
