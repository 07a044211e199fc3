"""How long the admin takes to preview and to confirm a large agreements file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench .venv/bin/python bench/admin_import.py

(or `make bench-import`). The database named there is emptied and rebuilt. The script
goes through the admin's real views with Django's test client, so the time includes
reading the upload, the whole import pipeline, keeping the file for confirmation and
rendering the preview page. It prints a Markdown table for docs/performance.md.
"""

import argparse
import csv
import io
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from agreements.models import Agreement  # noqa: E402

PARTIES = ["CL", "US", "CA", "CN", "JP", "KR", "MX", "BR", "AR", "EU", "EFTA", "Mercosur", "CAN", "WTO"]
TOPICS = ["trade", "health", "culture", "security-and-defence", "environment-and-climate-change"]


def agreements_file(rows, variant):
    random.seed(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
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
            "published",
        ]
    )
    for n in range(rows):
        writer.writerow(
            [
                f"bench-{n}",
                f"Agreement {n} {variant}",
                f"Acuerdo {n}",
                "free-trade-agreement",
                "in_force",
                ";".join(random.sample(PARTIES, 3)),
                "economic-affairs",
                ";".join(random.sample(TOPICS, 2)),
                f"{1990 + n % 30}-{1 + n % 12:02d}",
                f"{1995 + n % 30}",
                f"Summary of agreement {n}.",
                "yes",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def rebuilt_database_with_demo():
    """Empty the benchmark's PostgreSQL database, migrate it, load the demo; returns a superuser."""
    if connection.vendor != "postgresql":
        sys.exit("Run this benchmark on PostgreSQL: set DATABASE_URL=postgres://…")
    with connection.cursor() as cursor:  # start from an empty database every time
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    return get_user_model().objects.create_superuser("bench", password="bench")


def timed(call):
    start = time.perf_counter()
    response = call()
    return response, time.perf_counter() - start


def run(client, rows, variant):
    upload = SimpleUploadedFile("agreements.csv", agreements_file(rows, variant))
    preview, preview_seconds = timed(
        lambda: client.post(reverse("admin:agreements_agreement_import"), {"import_file": upload}, follow=True)
    )
    job = preview.context["job"]
    assert preview.status_code == 200 and job.can_be_confirmed(), "the preview found problems"
    summary = job.result["summary"]
    confirm, confirm_seconds = timed(
        lambda: client.post(reverse("admin:agreements_agreement_job_confirm", args=[job.pk]))
    )
    assert confirm.status_code == 302, "the confirmation failed"
    return summary, preview_seconds, confirm_seconds


@translation.override("en")
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    setup_test_environment()  # so that the client sees the rendered pages' context
    user = rebuilt_database_with_demo()
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    server = connection.cursor().connection.info.parameter_status("server_version")
    print(f"{rows} agreement rows; PostgreSQL {server}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print()
    print("| file | preview | preview time | confirm time |")
    print("| --- | --- | ---: | ---: |")
    for label, variant in [("new records", "v1"), ("the same file again", "v1"), ("every title changed", "v2")]:
        summary, preview_seconds, confirm_seconds = run(client, rows, variant)
        print(f"| {label} | {summary} | {preview_seconds:.1f} s | {confirm_seconds:.1f} s |")
    assert Agreement.objects.filter(slug__startswith="bench-").count() == rows


if __name__ == "__main__":
    main()
