"""`import_csv steps` and `import_csv participants`: the files of agreements' parts through
the one pipeline, at 10,000 agreements with 3 steps and 3 participants each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench .venv/bin/python bench/steps_import.py

(or `make bench-steps`). The database named there is emptied and rebuilt, with the demo
loaded, and the agreements of bench/import_scale.py imported first. Then, each a process
of its own, timed from its start to its end (Django's start-up included) with its peak
resident memory: each parts file imported (every agreement changed), the same file again
(every agreement unchanged), and its export.

Prints a Markdown table for docs/performance.md.
"""

import argparse
import csv
import io
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.test")

PARTIES = ["CL", "JP", "MX", "CA", "AU", "NZ"]


def parts_file(header, lines):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8")


def steps_file(agreements):
    """Three steps an agreement: its approval by Congress, ratification and deposit."""
    lines = []
    for n in range(agreements):
        year = 1990 + n % 30
        lines += [
            [
                f"scale-{n}",
                "congressional-approval",
                f"{year}-05",
                f"Resolución Legislativa N° {20000 + n}",
                "",
                "",
                "",
            ],
            [
                f"scale-{n}",
                "ratification",
                f"{year}-06-0{1 + n % 9}",
                f"Decreto Supremo N° {n % 999:03d}-{year}-RE",
                "",
                "",
                "",
            ],
            [f"scale-{n}", "deposit", f"{year}-07", "", "", "Deposit of the instrument", "Depósito del instrumento"],
        ]
    return parts_file(["agreement", "kind", "date", "reference", "url", "note_en", "note_es"], lines)


def participants_file(agreements):
    """Three participants an agreement, each with its consent and entry into force."""
    lines = []
    for n in range(agreements):
        year = 1990 + n % 30
        for offset in range(3):
            party = PARTIES[(n + offset) % len(PARTIES)]
            lines.append([f"scale-{n}", party, f"{year}", f"{year + 1}-03", "ratification", f"{year + 1}-06", ""])
    return parts_file(
        ["agreement", "party", "signed_on", "consent_on", "consent_kind", "in_force_on", "withdrawn_on"], lines
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=10000)
    arguments = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from bench.admin_import import rebuilt_database_with_demo
    from bench.import_scale import agreements_file, measured

    python = sys.executable
    server = connection.cursor().connection.info.parameter_status("server_version")
    print(f"PostgreSQL {server}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print()
    print("| file | lines | step | time | peak memory | says |")
    print("| --- | ---: | --- | ---: | ---: | --- |")
    rebuilt_database_with_demo()
    connection.close()  # the commands below open their own
    manage = [python, "-W", "ignore", "manage.py"]
    with tempfile.TemporaryDirectory() as folder:
        agreements = Path(folder) / "agreements.csv"
        agreements.write_bytes(agreements_file(arguments.agreements))
        measured([*manage, "import_csv", "--language", "en", "agreements", str(agreements)])
        for kind, contents in (("steps", steps_file), ("participants", participants_file)):
            file = Path(folder) / f"{kind}.csv"
            file.write_bytes(contents(arguments.agreements))
            lines = arguments.agreements * 3
            steps = [
                (
                    f"`import_csv {kind}`, every agreement changed",
                    [*manage, "import_csv", "--language", "en", kind, str(file)],
                ),
                (
                    f"`import_csv {kind}`, the same file again",
                    [*manage, "import_csv", "--language", "en", kind, str(file)],
                ),
                (f"`export_csv {kind}`", [*manage, "export_csv", kind, "--output", str(Path(folder) / "out.csv")]),
            ]
            for label, command in steps:
                seconds, megabytes, said = measured(command)
                said = said.replace(str(folder) + "/", "")
                print(f"| {kind}.csv | {lines} | {label} | {seconds:.1f} s | {megabytes:.0f} MB | {said} |", flush=True)


if __name__ == "__main__":
    main()
