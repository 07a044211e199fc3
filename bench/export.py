"""Exports of 10,000, 100,000 and 300,000 agreements, on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench_export .venv/bin/python bench/export.py

(or `make bench-export`). The database named there is emptied and rebuilt, with the demo
loaded; the agreements are added with COPY, each with 3 parties (countries and
organisations), 2 topics and a directorate. For each size, three exports are timed, each
in a process of its own started for it, which reports its time and its own peak resident
memory (Django and the libraries loaded, some 70 MB, included):

- `manage.py export_csv agreements --output FILE`;
- the admin's export of the whole changelist as a job, run as the worker runs it
  (foreignpolicy.jobs.run: the export written to a temporary file, then stored in the
  job's row), and then its file downloaded from the job's page, through the test client
  piece by piece;
- the public download `/en/agreements/download.csv`, read through the test client piece
  by piece, with the time to its first piece.

Prints a Markdown table for docs/performance.md. `--sizes 10000` times one size only;
`--measure command|admin|download` times one export on the database as it is.
"""

import argparse
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

COUNTRIES = ["CL", "BR", "AR", "CO", "EC", "BO", "US", "CA", "MX", "CN", "JP", "KR", "DE", "FR", "ES", "GB"]
ORGANISATIONS = ["eu", "mercosur", "andean-community", "pacific-alliance", "apec", "wto"]


def peak_megabytes():
    # This process's own peak (VmHWM): getrusage's ru_maxrss keeps, across the exec that
    # starts a measuring process, the peak of the process it was forked from, here the
    # one that adds the agreements.
    status = Path("/proc/self/status")
    if status.exists():
        line = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rebuilt_database():
    if connection.vendor != "postgresql":
        sys.exit("Run this benchmark on PostgreSQL: set DATABASE_URL=postgres://…")
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())


def add_agreements(start, stop):
    """Agreements bench-<start>… bench-<stop - 1>, with their relations, by COPY."""
    from agreements.models import Agreement, AgreementStatus, AgreementType
    from directorates.models import Directorate
    from foreignpolicy.models import Organisation, Topic

    random.seed(start)
    type_id = AgreementType.objects.get(slug="free-trade-agreement").pk
    directorates = list(Directorate.objects.values_list("pk", flat=True))
    organisations = list(Organisation.objects.filter(slug__in=ORGANISATIONS).values_list("pk", flat=True))
    topics = list(Topic.objects.values_list("pk", flat=True))
    statuses = list(AgreementStatus.objects.values_list("code", flat=True))
    table = Agreement._meta.db_table
    columns = (
        "slug, title_en, title_es, short_title, type_id, status_id, directorate_id, signed_on, signed_on_precision, "
        "in_force_on, in_force_on_precision, ended_on, ended_on_precision, summary_en, summary_es, source_url, "
        "is_published, created_at, updated_at, search_text, depositary_en, depositary_es, unts_number, archive_code, "
        "step_references"
    )
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for n in range(start, stop):
                year = 1990 + n % 35
                copy.write_row(
                    (
                        f"bench-{n:06d}",
                        f"Agreement {n} between Peru and its partners",
                        f"Acuerdo {n} entre el Perú y sus socios",
                        f"A-{n}",
                        type_id,
                        statuses[n % len(statuses)],
                        random.choice(directorates),
                        f"{year}-{1 + n % 12:02d}-01",
                        ("year", "month", "day")[n % 3],
                        f"{year + 1}-01-01" if n % 2 else None,
                        "day",
                        None,
                        "day",
                        f"Summary of agreement {n}, with a comma and “quotes”." + (" =1+1" if n % 50 == 0 else ""),
                        f"Resumen del acuerdo {n}.",
                        f"https://example.org/agreements/{n}",
                        n % 10 != 0,
                        "2025-01-01T00:00:00Z",
                        "2025-01-01T00:00:00Z",
                        "",
                        *([""] * 5),  # no references, nor steps
                    )
                )
        bounds = [f"bench-{start:06d}", f"bench-{stop:06d}"]
        cursor.execute(f"SELECT id FROM {table} WHERE slug >= %s AND slug < %s", bounds)
        ids = [row[0] for row in cursor.fetchall()]
        relations = [
            ("countries", lambda: random.sample(COUNTRIES, 2)),
            ("organisations", lambda: random.sample(organisations, 1)),
            ("topics", lambda: random.sample(topics, 2)),
        ]
        for relation, choose in relations:
            field = Agreement._meta.get_field(relation)
            through = field.remote_field.through._meta
            target = field.m2m_reverse_name()
            with cursor.connection.cursor().copy(
                f"COPY {through.db_table} (agreement_id, {target}) FROM STDIN"
            ) as copy:
                for pk in ids:
                    for value in choose():
                        copy.write_row((pk, value))
        cursor.execute("ANALYZE")


def measure(what):
    """Run one export in this process; print its time, peak memory, and rows or bytes."""
    from django.test import Client

    from agreements.models import Agreement
    from foreignpolicy import jobs
    from foreignpolicy.file_formats import CsvFormat

    start = time.perf_counter()
    first = downloaded = None
    if what == "command":
        with tempfile.NamedTemporaryFile(suffix=".csv") as output:
            call_command("export_csv", "agreements", "--output", output.name, stderr=io.StringIO())
            size = Path(output.name).stat().st_size
        seconds = time.perf_counter() - start
    elif what == "admin":
        from django.contrib.auth import get_user_model
        from django.urls import reverse

        from foreignpolicy.models import FileJob

        user = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.create_superuser(
            "bench", password="bench"
        )
        start = time.perf_counter()
        parameters = {"query": "", "format": 0, "content_type": CsvFormat().get_content_type()}
        job = jobs.create(
            user=user, model=Agreement, action=FileJob.Action.EXPORT, file_name="bench.csv", parameters=parameters
        )
        jobs.run(job.pk)
        assert FileJob.objects.filter(pk=job.pk, state=FileJob.State.DONE).exists()
        seconds = time.perf_counter() - start
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        response = client.get(reverse("admin:agreements_agreement_job_download", args=[job.pk]))
        assert response.status_code == 200, response.status_code
        size = sum(len(piece) for piece in response.streaming_content)
        downloaded = time.perf_counter() - start - seconds
    else:
        response = Client(HTTP_HOST="127.0.0.1").get("/en/agreements/download.csv")
        assert response.status_code == 200, response.status_code
        size = 0
        for piece in response.streaming_content:
            if first is None:
                first = time.perf_counter() - start
            size += len(piece)
        seconds = time.perf_counter() - start
    print(
        json.dumps(
            {"seconds": seconds, "first": first, "downloaded": downloaded, "peak": peak_megabytes(), "size": size}
        )
    )


def in_a_process(what):
    result = subprocess.run(
        [sys.executable, "-W", "ignore", __file__, "--measure", what],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,300000")
    parser.add_argument("--measure", choices=["command", "admin", "download"])
    options = parser.parse_args()
    if options.measure:
        return measure(options.measure)
    sizes = [int(size) for size in options.sizes.split(",")]
    rebuilt_database()
    server = connection.cursor().connection.info.parameter_status("server_version")
    print(f"PostgreSQL {server}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print()
    print(
        "| agreements | file | `export_csv --output` | admin export: job; its file downloaded "
        "| public download (first piece) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: |")
    made = 0
    for size in sizes:
        add_agreements(made, size)
        made = size
        command, admin, download = (in_a_process(what) for what in ("command", "admin", "download"))
        print(
            f"| {size:,} | {command['size'] / 1e6:.0f} MB "
            f"| {command['seconds']:.1f} s, {command['peak']:.0f} MB "
            f"| {admin['seconds']:.1f} s; {admin['downloaded']:.1f} s, {admin['peak']:.0f} MB "
            f"| {download['seconds']:.1f} s ({download['first']:.2f} s), {download['peak']:.0f} MB |",
            flush=True,
        )


if __name__ == "__main__":
    main()
