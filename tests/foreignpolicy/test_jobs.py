"""Previews, confirmations and exports as jobs: through the queue, their pages while they
wait and run, failures, dead workers, clean-up, and a real worker."""

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone, translation
from huey.contrib.djhuey import HUEY
from huey.signals import SIGNAL_EXECUTING

from agreements.models import Agreement
from foreignpolicy import admin_files, jobs, tabular, tasks
from foreignpolicy.models import FileJob, ImportRecord
from tests import hostile_files
from tests.factories import AgreementFactory
from tests.helpers import csv_text

pytestmark = pytest.mark.django_db

GOOD = csv_text(
    "slug,title_en,title_es,type,status,parties,signed_on,published",
    "pe-ca,Peru-Canada FTA,TLC Perú-Canadá,Tratado de libre comercio,Vigente,CA,29/05/2008,sí",
    "pe-cl,Peru-Chile FTA,,free-trade-agreement,in_force,CL,2006-08-22,yes",
)
IMPORT = reverse("admin:agreements_agreement_import")
EXPORT = reverse("admin:agreements_agreement_export")
CHANGELIST = reverse("admin:agreements_agreement_changelist")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
REFRESH = '<meta http-equiv="refresh"'


@pytest.fixture(autouse=True)
def english_admin(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def queued(settings):
    """Files of more than 10 bytes go to the queue; the names of the tasks Huey (in
    immediate mode) ran."""
    settings.IMPORT_INLINE_MAX_BYTES = 10
    ran = []

    def executing(signal, task, *args):
        ran.append(task.name)

    HUEY.signal(SIGNAL_EXECUTING)(executing)
    yield ran
    HUEY.disconnect_signal(executing, SIGNAL_EXECUTING)


@pytest.fixture
def worker(django_capture_on_commit_callbacks):
    """Post, let the queue take what the request queued once it is committed, and follow."""

    def post(client, address, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(address, data or {})
        return client.get(response.url)

    return post


def upload(client, text, name="agreements.csv", **kwargs):
    data = text if isinstance(text, bytes) else text.encode()
    return client.post(IMPORT, {"import_file": SimpleUploadedFile(name, data)}, follow=True, **kwargs)


def job_url(job, view="job"):
    return reverse(f"admin:agreements_agreement_{view}", args=[job.pk])


def make_job(user, **fields):
    fields = {"action": FileJob.Action.PREVIEW, "file_name": "big.csv", "size": 19_000_000, **fields}
    return jobs.create(user=user, model=Agreement, **fields)


def test_a_large_file_is_previewed_and_confirmed_through_the_queue(admin_client, queued, worker):
    response = worker(admin_client, IMPORT, {"import_file": SimpleUploadedFile("agreements.csv", GOOD.encode())})
    job = response.context["job"]
    assert queued == ["run_file_job"]
    assert job.state == FileJob.State.DONE and job.started_at and job.finished_at
    assert (job.done, job.total) == (2, 2)
    assert "Preview: 2 created, 0 updated, 0 unchanged" in response.content.decode()
    assert not Agreement.objects.exists()
    response = worker(admin_client, job_url(job, "job_confirm"))
    assert queued == ["run_file_job", "run_file_job"]
    confirmation = FileJob.objects.get(action=FileJob.Action.CONFIRM)
    assert response.context["job"] == confirmation
    record = ImportRecord.objects.get()
    page = response.content.decode()
    assert "agreements.csv imported: 2 created, 0 updated, 0 unchanged" in page
    assert reverse("admin:foreignpolicy_importrecord_change", args=[record.pk]) in page
    assert set(Agreement.objects.values_list("slug", flat=True)) == {"pe-ca", "pe-cl"}
    assert confirmation.record == record
    assert bytes(FileJob.objects.get(pk=job.pk).data) == b""


def test_a_small_file_is_previewed_in_the_request_without_the_queue(admin_client, queued, settings, worker):
    settings.IMPORT_INLINE_MAX_BYTES = len(GOOD.encode())
    response = worker(admin_client, IMPORT, {"import_file": SimpleUploadedFile("agreements.csv", GOOD.encode())})
    assert queued == []
    assert response.context["job"].state == FileJob.State.DONE


def agreements_workbook(rows, summary_chars=0):
    """Agreements as an .xlsx file, each summary of `summary_chars` hexadecimal digits,
    which pack only to half their size."""
    header = hostile_files.cells("slug", "title_en", "type", "status", "parties", "summary_en")
    body = [
        hostile_files.cells(
            f"pe-{n}",
            f"Agreement {n}",
            "free-trade-agreement",
            "in_force",
            "CL",
            hostile_files.noise(summary_chars, seed=n).decode(),
        )
        for n in range(rows)
    ]
    return hostile_files.workbook(hostile_files.sheet([header, *body]))


def test_a_workbook_that_unpacks_past_the_inline_limit_is_previewed_and_imported_by_the_worker(
    admin_client, queued, settings, worker
):
    settings.IMPORT_INLINE_MAX_BYTES = 1024 * 1024
    data = agreements_workbook(1500, summary_chars=800)
    assert len(data) < settings.IMPORT_INLINE_MAX_BYTES < tabular.xlsx_unpacked_size(data)
    response = worker(admin_client, IMPORT, {"import_file": SimpleUploadedFile("agreements.xlsx", data)})
    job = response.context["job"]
    assert queued == ["run_file_job"]
    assert job.parameters["read_bytes"] == tabular.xlsx_unpacked_size(data)
    assert "Preview: 1500 created" in response.content.decode()
    worker(admin_client, job_url(job, "job_confirm"))
    assert queued == ["run_file_job", "run_file_job"]
    assert Agreement.objects.count() == 1500


def test_a_small_workbook_is_previewed_and_imported_in_the_request(admin_client, queued, settings, worker):
    settings.IMPORT_INLINE_MAX_BYTES = 1024 * 1024
    data = agreements_workbook(2)
    response = worker(admin_client, IMPORT, {"import_file": SimpleUploadedFile("agreements.xlsx", data)})
    job = response.context["job"]
    assert job.state == FileJob.State.DONE and "Preview: 2 created" in response.content.decode()
    worker(admin_client, job_url(job, "job_confirm"))
    assert queued == [] and Agreement.objects.count() == 2


def test_the_unpacked_size_of_a_workbook_is_read_from_its_directory_alone():
    assert tabular.xlsx_unpacked_size(hostile_files.xlsx_bomb_elsewhere()) > 200 * hostile_files.MB
    # What a part declares bounds what reading unpacks: one that unpacks to more is refused.
    assert tabular.xlsx_unpacked_size(hostile_files.xlsx_lying_size()) < hostile_files.MB
    # No directory to read (or one of too many parts): the reader refuses the file at once.
    assert tabular.xlsx_unpacked_size(hostile_files.xlsx_that_is_csv()) is None
    assert tabular.xlsx_unpacked_size(hostile_files.xlsx_thousands_of_parts()) is None
    assert admin_files.bytes_to_read("a.xlsx", b"not a zip") == len(b"not a zip")
    assert admin_files.bytes_to_read("a.csv", GOOD.encode()) == len(GOOD.encode())


def test_a_queued_job_has_a_page_that_refreshes_itself_until_a_worker_takes_it(
    admin_client, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(admin_client, GOOD)
    job = response.context["job"]
    page = response.content.decode()
    assert job.state == FileJob.State.QUEUED
    assert "Waiting for a worker…" in page
    assert f'{REFRESH} content="3">' in page
    assert "You may leave it" in page
    assert not INLINE_SCRIPT.search(page)
    assert "No worker has taken this job" not in page
    listed = admin_client.get(IMPORT).content.decode()
    assert job_url(job) in listed and "waiting" in listed

    FileJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    assert "No worker has taken this job for several minutes." in admin_client.get(job_url(job)).content.decode()

    for callback in callbacks:  # the worker comes
        callback()
    page = admin_client.get(job_url(job)).content.decode()
    assert "Preview: 2 created" in page and "Confirm import" in page
    assert REFRESH not in page


def test_a_running_job_shows_how_far_it_has_got(admin_user, admin_client):
    job = make_job(admin_user, state=FileJob.State.RUNNING)
    page = admin_client.get(job_url(job)).content.decode()
    assert "Reading the file…" in page and REFRESH in page
    jobs.Progress(job.pk)(500, 138000)
    page = admin_client.get(job_url(job)).content.decode()
    assert "500 of 138000 rows checked…" in page
    assert '<progress value="500" max="138000">' in page
    assert not INLINE_SCRIPT.search(page)
    confirmation = make_job(admin_user, action=FileJob.Action.CONFIRM, state=FileJob.State.RUNNING)
    jobs.Progress(confirmation.pk)(9, 9)
    assert "Writing the records, all in one transaction…" in admin_client.get(job_url(confirmation)).content.decode()


def test_progress_goes_out_at_most_once_a_second_and_at_the_end_and_stays_out_of_the_transaction(admin_user):
    job = make_job(admin_user, state=FileJob.State.RUNNING)
    old = timezone.now() - timedelta(minutes=1)
    FileJob.objects.filter(pk=job.pk).update(heartbeat_at=old)
    progress = jobs.Progress(job.pk)
    with transaction.atomic():
        progress(500, 2000)
        transaction.set_rollback(True)  # as the pipeline does with a preview
    live = jobs.with_pulse(FileJob.objects.get(pk=job.pk))
    assert (live.done, live.total) == (500, 2000) and live.heartbeat_at > old
    progress(1000, 2000)
    assert jobs.with_pulse(FileJob.objects.get(pk=job.pk)).done == 500
    progress(2000, 2000)
    assert jobs.with_pulse(FileJob.objects.get(pk=job.pk)).done == 2000


def test_the_heartbeat_thread_sends_the_pulse_while_a_step_reports_nothing(admin_user, settings):
    settings.FILE_JOBS_HEARTBEAT_SECONDS = 0.01
    job = make_job(admin_user, state=FileJob.State.RUNNING)
    progress = jobs.Progress(job.pk)
    with jobs.beating(progress, True):
        deadline = time.monotonic() + 5
        while progress.sent_at is None and time.monotonic() < deadline:
            time.sleep(0.01)
    assert progress.sent_at is not None
    assert jobs.with_pulse(FileJob.objects.get(pk=job.pk)).heartbeat_at > job.heartbeat_at


def test_a_job_that_fails_says_so_keeps_no_file_and_logs_the_error(admin_client, monkeypatch, caplog):
    def broken(job, progress):
        raise RuntimeError("out of memory, say")

    monkeypatch.setitem(jobs.ACTIONS, FileJob.Action.PREVIEW, broken)
    response = upload(admin_client, GOOD)
    job = response.context["job"]
    page = response.content.decode()
    assert job.state == FileJob.State.FAILED
    assert "An unexpected error stopped the job; nothing was written." in page
    assert f"under job {job.pk}" in page
    assert "Upload the corrected file" in page and REFRESH not in page
    assert bytes(FileJob.objects.get(pk=job.pk).data) == b""
    assert "out of memory, say" in caplog.text


@contextmanager
def on_import_saved(handler):
    """Run `handler` when an import is recorded, inside the import's transaction."""
    post_save.connect(handler, sender=ImportRecord)
    try:
        yield
    finally:
        post_save.disconnect(handler, sender=ImportRecord)


def test_a_confirmation_whose_write_fails_after_inserting_rows_writes_nothing(admin_client):
    job = upload(admin_client, GOOD).context["job"]
    inserted = []

    def fail_after_inserting(sender, instance, created, **kwargs):
        inserted.append(Agreement.objects.count())
        raise RuntimeError("the worker dies in the middle of the write")

    with on_import_saved(fail_after_inserting):
        response = admin_client.post(job_url(job, "job_confirm"), follow=True)
    assert inserted == [2]  # the records were in, inside the transaction
    confirmation = FileJob.objects.get(action=FileJob.Action.CONFIRM)
    assert confirmation.state == FileJob.State.FAILED and confirmation.record is None
    assert not Agreement.objects.exists()
    assert not ImportRecord.objects.exists() and not LogEntry.objects.exists()
    assert "An unexpected error stopped the job; nothing was written." in response.content.decode()


def test_a_confirmation_the_database_refuses_is_a_problem_and_writes_nothing(admin_client, monkeypatch):
    job = upload(admin_client, GOOD).context["job"]

    def refuse(sender, instance, created, **kwargs):
        raise DatabaseError("disk full")

    with on_import_saved(refuse):
        response = admin_client.post(job_url(job, "job_confirm"), follow=True)
    assert "The database refused the import and nothing was saved: disk full" in response.content.decode()
    assert FileJob.objects.get(action=FileJob.Action.CONFIRM).state == FileJob.State.DONE
    assert not Agreement.objects.exists() and not ImportRecord.objects.exists()


def test_a_job_whose_worker_died_says_it_stopped_without_writing_anything(admin_user, admin_client, settings):
    job = make_job(admin_user, action=FileJob.Action.CONFIRM, state=FileJob.State.RUNNING)
    long_ago = timezone.now() - timedelta(seconds=settings.FILE_JOBS_STALE_AFTER + 1)
    FileJob.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)
    jobs.HUEY.put(jobs.pulse_key(job.pk), (40, 90, long_ago.timestamp()))
    page = admin_client.get(job_url(job)).content.decode()
    assert "The job stopped without finishing; nothing was written." in page
    assert REFRESH not in page and "Upload the corrected file" in page
    assert "stopped without finishing" in admin_client.get(IMPORT).content.decode()

    jobs.Progress(job.pk)(41, 90)  # it was only slow
    assert "41 of 90 rows checked…" in admin_client.get(job_url(job)).content.decode()

    FileJob.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)
    jobs.HUEY.delete(jobs.pulse_key(job.pk))
    record = ImportRecord.objects.create(
        content_type_id=job.content_type_id,
        user=admin_user,
        file_name="big.csv",
        created=1,
        updated=0,
        unchanged=0,
        drafts=0,
    )
    FileJob.objects.filter(pk=job.pk).update(record=record)
    page = admin_client.get(job_url(job)).content.decode()
    assert "The job stopped after writing its import." in page
    assert "nothing was written" not in page


def test_a_job_is_run_once(admin_user):
    job = make_job(admin_user, data=GOOD.encode())
    jobs.run(job.pk)
    finished_at = FileJob.objects.get(pk=job.pk).finished_at
    jobs.run(job.pk)  # a task delivered twice, or a job deleted meanwhile
    assert FileJob.objects.get(pk=job.pk).finished_at == finished_at


def test_results_are_written_in_the_language_of_whoever_started_the_job(admin_user):
    with translation.override("es"):
        job = make_job(admin_user, data=b"title_en,type,status\nX,Acuerdo marco,Vigentes\n")
    with translation.override("en"):
        jobs.run(job.pk)
    job.refresh_from_db()
    assert job.language == "es"
    assert "No se reconoce como estado de acuerdo: «Vigentes»." in [
        message for *_, message, _ in job.result["problems"]
    ]


def test_a_large_preview_lists_a_bounded_page_of_rows_those_that_change_something_first(admin_client, monkeypatch):
    lines = ["slug,title_en,type,status"] + [f"a-{n},Agreement {n},free-trade-agreement,in_force" for n in range(5)]
    admin_client.post(job_url(upload(admin_client, csv_text(*lines)).context["job"], "job_confirm"))
    lines[2] = "a-1,Renamed 1,free-trade-agreement,in_force"
    lines[5] = "a-4,Renamed 4,free-trade-agreement,in_force"
    monkeypatch.setattr(jobs, "ROWS_KEPT", 3)
    monkeypatch.setattr(admin_files, "ROWS_PER_PAGE", 2)
    response = upload(admin_client, csv_text(*lines))
    job = response.context["job"]
    assert [(number, kind) for number, kind, *_ in job.result["rows"]] == [(3, "update"), (6, "update"), (2, "skip")]
    page = response.content.decode()
    assert "The first 3 of the 5 rows are listed here, those that change something first" in page
    assert "Preview: 0 created, 2 updated, 3 unchanged" in page
    assert "rows 1–2 of 3" in page and "Agreement 0" not in page
    page = admin_client.get(job_url(job) + "?page=2").content.decode()
    assert "rows 3–3 of 3" in page and "Agreement 0" in page


def test_warnings_are_listed_with_a_link_to_the_record_they_name_and_do_not_stop_the_import(admin_client):
    existing = AgreementFactory(slug="peru-chile-fta", title_en="Peru–Chile Free Trade Agreement")
    text = csv_text("slug,title_en,type,status", "another,PERÚ-CHILE free trade agreement,Acuerdo marco,signed")
    response = upload(admin_client, text)
    page = response.content.decode()
    assert "1 warning (the import may go ahead)" in page
    assert reverse("admin:agreements_agreement_change", args=[existing.pk]) in page
    assert "Confirm import" in page


def test_expired_jobs_are_deleted_by_the_periodic_task(admin_user):
    old, recent = make_job(admin_user), make_job(admin_user)
    FileJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    tasks.delete_expired_file_jobs()
    assert list(FileJob.objects.all()) == [recent]
    assert any(task.name == "delete_expired_file_jobs" for task in HUEY._registry.periodic_tasks)


@pytest.mark.parametrize(("format_", "kind"), [(0, "text/csv; charset=utf-8"), (1, "application/vnd.openxml")])
def test_a_large_export_is_a_job_whose_file_only_its_owner_may_download(
    admin_client, client, django_user_model, settings, django_capture_on_commit_callbacks, format_, kind
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    AgreementFactory(slug="a-in-force")
    AgreementFactory(slug="b-in-force")
    AgreementFactory(slug="c-signed", status_id="signed")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(EXPORT + "?status__code__exact=in_force", {"format": format_, "resource": 0})
    job = FileJob.objects.get(action=FileJob.Action.EXPORT)
    assert response.status_code == 302 and response.url == job_url(job)
    page = admin_client.get(job_url(job)).content.decode()
    assert "The export of 2 records is ready." in page
    assert job_url(job, "job_download") in page
    assert job_url(job) in admin_client.get(EXPORT).content.decode()
    download = admin_client.get(job_url(job, "job_download"))
    assert download["Content-Type"].startswith(kind)
    assert download["Content-Disposition"].startswith('attachment; filename="agreements-')
    if format_ == 0:
        rows = list(csv.DictReader(io.StringIO(download.getvalue().decode("utf-8-sig"))))
        assert [row["slug"] for row in rows] == ["a-in-force", "b-in-force"]

    other = django_user_model.objects.create_superuser("other", password="x")
    client.force_login(other)
    assert client.get(job_url(job)).status_code == 404
    assert client.get(job_url(job, "job_download")).status_code == 404
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_agreement"))
    client.force_login(viewer)
    assert client.get(job_url(job, "job_download")).status_code == 403


def test_a_small_export_is_made_in_the_request(admin_client, django_capture_on_commit_callbacks):
    AgreementFactory(slug="pe-ca")
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(EXPORT, {"format": 0, "resource": 0})
    assert response["Content-Type"] == "text/csv; charset=utf-8" and not callbacks
    assert not FileJob.objects.exists()


def test_a_real_worker_takes_jobs_from_the_sqlite_queue(tmp_path):
    """`manage.py run_huey` on SqliteHuey: a preview and its confirmation, queued by
    another process, are run by the worker. (Its own SQLite database, which both
    processes share, unlike the test's in-memory one.)"""
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "foreignpolicy.settings.development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.sqlite3"),
        "HUEY_REDIS_URL": "",
        "HUEY_WORKERS": "1",
        "SECRET_KEY": "worker-test-" + "x" * 50,
    }
    manage = [sys.executable, str(root / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=root, check=True, timeout=120)
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen([*manage, "run_huey", "--no-periodic"], env=env, cwd=root, stdout=log, stderr=log)
    try:
        script = WORKER_SCRIPT.replace("DATA", repr(GOOD.encode()))
        shell = subprocess.run(
            [*manage, "shell", "-c", script], env=env, cwd=root, capture_output=True, text=True, timeout=60
        )
        assert shell.returncode == 0, shell.stderr
        outcome = json.loads(shell.stdout.strip().splitlines()[-1])
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        log.close()
    assert outcome == {
        "preview": ["done", "2 created, 0 updated, 0 unchanged; 0 of them are drafts."],
        "confirm": ["done", 2],
        "progress": [2, 2],
    }, (tmp_path / "worker.log").read_text()


WORKER_SCRIPT = """
import json, time
from django.contrib.auth import get_user_model
from django.utils import translation
from agreements.models import Agreement
from foreignpolicy import jobs
from foreignpolicy.models import FileJob
from foreignpolicy.tasks import start

def finished(job):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise SystemExit(f"the worker did not finish job {job.pk}: {job.state}")

translation.activate("en")
user = get_user_model().objects.create_superuser("worker-test", password="x")
preview = jobs.create(user=user, model=Agreement, action="preview", file_name="a.csv", data=DATA, size=len(DATA))
start(preview, inline=False)
preview = finished(preview)
confirmation = jobs.create(user=user, model=Agreement, action="confirm", file_name="a.csv", preview=preview)
start(confirmation, inline=False)
confirmation = finished(confirmation)
print(json.dumps({
    "preview": [preview.state, preview.result.get("summary")],
    "confirm": [confirmation.state, Agreement.objects.count()],
    "progress": [preview.done, preview.total],
}))
"""


def test_a_pulse_that_cannot_be_sent_does_not_stop_the_job(admin_user, monkeypatch, caplog):
    def unreachable(key, data):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(jobs.HUEY, "put", unreachable)
    job = make_job(admin_user, data=GOOD.encode())
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == FileJob.State.DONE and (job.done, job.total) == (2, 2)
    assert "Pulse of file job" in caplog.text
