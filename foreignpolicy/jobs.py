"""Previews, confirmations and exports of files, as jobs that can outlast a request.

A job is a FileJob row. `run` carries it out in the same way whether the request runs it
(small files) or the worker does (foreignpolicy.tasks): it claims the job, runs the
function registered for the job's action with a progress callback, and stores what came
out. Adding an action (an undo, say) takes a choice on FileJob.Action, a function here
registered with @action, and a button.

An import writes in one transaction, so a job that dies, with its worker or on an error,
has written nothing. The job learns of its import inside that same transaction (see
`link_import_to_job`), so it never says "nothing was written" of an import that was.
"""

import logging
import tempfile
import threading
import time
import zlib
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY

from .imports.undo import undo_import
from .models import FileJob, ImportRecord
from .registry import resource_for_import
from .tabular import FileProblem, read_table

logger = logging.getLogger(__name__)

SKIP = "skip"
# What a job keeps for its page: bounded, whatever the size of the file.
ROWS_KEPT = 2000  # rows of a preview, those that change something first
NOTES_KEPT = 1000  # problems, and warnings
VALUE_KEPT = 200  # characters of a record's name and of each old and new value
PROGRESS_EVERY = 1.0  # seconds between two writes of a job's progress
# An export's file goes into its job's row, and comes out of it, this many bytes at a time.
FILE_PIECE = 1024 * 1024
GZIP = 16 + zlib.MAX_WBITS  # zlib's wbits for a gzip stream

ACTIONS = {}


def action(name):
    """Register the function that carries out the jobs of an action.

    It gets the job and a progress(done, total) callback, and returns the fields of the
    job to store when it is done ("result", and "data", "fingerprint" or "record")."""

    def register(function):
        ACTIONS[name] = function
        return function

    return register


def create(*, user, model, action, **fields):
    """A new job, waiting to be run; expired jobs go at the same time."""
    delete_expired()
    return FileJob.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(model),
        action=action,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        **fields,
    )


def delete_expired():
    expired = FileJob.objects.expired()
    for job_id in expired.filter(state=FileJob.State.RUNNING).values_list("pk", flat=True):
        HUEY.delete(pulse_key(job_id))  # of a job whose worker died
    return expired.delete()[0]


def run(job_id, *, heartbeat=False):
    """Carry out a waiting job. `heartbeat`: tell from a thread of its own that it runs."""
    now = timezone.now()
    claimed = FileJob.objects.filter(pk=job_id, state=FileJob.State.QUEUED).update(
        state=FileJob.State.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        logger.info("File job %s is gone or was already run.", job_id)
        return
    job = FileJob.objects.select_related("user", "content_type", "preview").get(pk=job_id)
    progress = Progress(job.pk)
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE), beating(progress, heartbeat), owning(job):
            fields = ACTIONS[job.action](job, progress)
    except Exception:
        logger.exception("File job %s (%s of %s) failed.", job.pk, job.action, job.file_name)
        # Nothing of a failed job is confirmed or downloaded: its file need not be kept.
        fields, state = {"data": b""}, FileJob.State.FAILED
    else:
        state = FileJob.State.DONE
    now = timezone.now()
    FileJob.objects.filter(pk=job.pk).update(
        state=state, finished_at=now, heartbeat_at=now, done=progress.done, total=progress.total, **fields
    )
    HUEY.delete(pulse_key(job.pk))


def pulse_key(job_id):
    return f"foreignpolicy.file-job.{job_id}"


class Progress:
    """The pipeline's progress(done, total) callback, and the job's pulse.

    The counts go to the queue's storage (Huey's key-value store, in Redis or in the
    SQLite queue file), not to the job's row: the pipeline runs in a transaction of its
    own, so the row would show them only at the end, and a preview's not at all (its
    transaction is rolled back); and on SQLite a second writer during an import could
    make the import fail."""

    def __init__(self, job_id):
        self.job_id = job_id
        self.done, self.total = 0, None
        self.sent_at = None

    def __call__(self, done, total):
        self.done, self.total = done, total
        if self.sent_at is None or time.monotonic() - self.sent_at >= PROGRESS_EVERY or done >= total:
            self.send()

    def send(self):
        self.sent_at = time.monotonic()
        try:
            HUEY.put(pulse_key(self.job_id), (self.done, self.total, time.time()))
        except Exception:  # the queue's storage away for a moment: the job itself goes on
            logger.warning("Pulse of file job %s not sent.", self.job_id, exc_info=True)


def with_pulse(job):
    """The job, with its progress and heartbeat as its worker last told them if it runs."""
    if job.state == FileJob.State.RUNNING:
        pulse = HUEY.get(pulse_key(job.pk), peek=True)
        if pulse:
            job.done, job.total, sent_at = pulse
            job.heartbeat_at = max(job.heartbeat_at, datetime.fromtimestamp(sent_at, tz=UTC))
    return job


@contextmanager
def beating(progress, enabled):
    """A thread that sends the job's pulse while it runs, also through the steps that
    report no progress: reading a large file, writing an import."""
    interval = settings.FILE_JOBS_HEARTBEAT_SECONDS
    if not enabled or interval <= 0:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=beat, args=(progress, interval, stop), name=f"heartbeat-{progress.job_id}", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def beat(progress, interval, stop):
    while not stop.wait(interval):
        progress.send()


_running = threading.local()


@contextmanager
def owning(job):
    _running.job_id = job.pk
    try:
        yield
    finally:
        _running.job_id = None


@receiver(post_save, sender=ImportRecord, dispatch_uid="foreignpolicy.jobs.link_import_to_job")
def link_import_to_job(sender, instance, created, **kwargs):
    # Inside the import's transaction: the job names its import if and only if it was written.
    job_id = getattr(_running, "job_id", None)
    if created and job_id:
        FileJob.objects.filter(pk=job_id).update(record=instance)


def model_admin(job):
    return admin.site.get_model_admin(job.content_type.model_class())


@action(FileJob.Action.PREVIEW)
def preview(job, progress):
    try:
        dataset = read_table(bytes(job.data), job.file_name)
    except FileProblem as problem:
        return {"data": b"", "result": problem_result(str(problem))}
    progress(0, len(dataset))
    result = (
        model_admin(job)
        .resource(job.parameters.get("kind", ""))
        .import_data(dataset, dry_run=True, user=job.user, file_name=job.file_name, progress=progress)
    )
    if result.problems:
        # A file with problems cannot be confirmed, so it need not be kept.
        return {"data": b"", "result": outcome(result)}
    return {"fingerprint": result.fingerprint, "result": outcome(result)}


@action(FileJob.Action.CONFIRM)
def confirm(job, progress):
    preview = job.preview
    if preview is None or not preview.fingerprint:
        return {"result": problem_result(_("This preview has expired. Upload the file again."))}
    try:
        dataset = read_table(bytes(preview.data), preview.file_name)
        progress(0, len(dataset))
        result = (
            model_admin(job)
            .resource(preview.parameters.get("kind", ""))
            .import_data(
                dataset,
                dry_run=False,
                user=job.user,
                file_name=job.file_name,
                expected_fingerprint=preview.fingerprint,
                progress=progress,
            )
        )
    except FileProblem as problem:
        return {"result": problem_result(str(problem))}
    finally:
        # Whatever came of it, a preview is confirmed once; its file is no longer needed.
        FileJob.objects.filter(pk=preview.pk).update(data=b"")
    return {"result": outcome(result, rows=False), "record": result.record}


@action(FileJob.Action.UNDO)
def undo(job, progress):
    record = ImportRecord.objects.select_related("content_type").get(pk=job.parameters["import"])
    result = undo_import(record, job.user, resource_for_import(record), progress=progress)
    return {"result": outcome(result, rows=False), "record": result.record}


@action(FileJob.Action.EXPORT)
def export(job, progress):
    admin_ = model_admin(job)
    request = changelist_request(job)
    if not admin_.has_export_permission(request):
        return {"result": problem_result(_("You may no longer export these records."))}
    file_format = admin_.get_export_formats()[job.parameters["format"]]()
    with tempfile.TemporaryFile() as output:
        resource = admin_.resource(job.parameters.get("kind", ""))
        count = export_file(resource, admin_.get_export_queryset(request), file_format, output, progress)
        size = output.tell()
        output.seek(0)
        # The job keeps its file in its row, for its owner to download.
        store_file(job, output)
    return {"size": size, "parameters": {**job.parameters, "stored": "gzip"}, "result": {"row_count": count}}


def export_file(resource, queryset, file_format, output, progress=None):
    """Write the export of `queryset` to the binary file `output` as its rows are read;
    returns how many records it holds."""
    rows = Counted(resource.export_rows(queryset, progress=progress))
    file_format.write(resource.get_export_headers(), rows, output)
    return rows.count


def store_file(job, file):
    """Keep the binary file `file` (from where it stands) in the job's row, FileJob.data,
    gzip-compressed, a piece at a time: neither the file nor its compressed bytes are ever
    held whole. (Held whole, the 36 MB of CSV of 100,000 agreements took 2 s and 300 MB of
    memory to store, as SQL escapes them; compressed, they are 4.5 MB, stored in 0.5 s.)"""
    with tempfile.TemporaryFile() as packed:
        compressor = zlib.compressobj(1, zlib.DEFLATED, GZIP)
        while piece := file.read(FILE_PIECE):
            packed.write(compressor.compress(piece))
        packed.write(compressor.flush())
        size = packed.tell()
        packed.seek(0)
        pieces = iter(lambda: packed.read(FILE_PIECE), b"")
        table, key, pk = _job_row(job)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The pieces go into a large object, and its value into the row, on the server.
                cursor.execute("SELECT lo_create(0)")
                (oid,) = cursor.fetchone()
                offset = 0
                for piece in pieces:
                    cursor.execute("SELECT lo_put(%s, %s, %s)", [oid, offset, piece])
                    offset += len(piece)
                cursor.execute(f"UPDATE {table} SET data = lo_get(%s) WHERE {key} = %s", [oid, pk])
                cursor.execute("SELECT lo_unlink(%s)", [oid])
            else:
                # SQLite writes into a blob of the final size, in place.
                cursor.execute(f"UPDATE {table} SET data = zeroblob(%s) WHERE {key} = %s RETURNING rowid", [size, pk])
                (rowid,) = cursor.fetchone()
                with connection.connection.blobopen(FileJob._meta.db_table, "data", rowid, readonly=False) as blob:
                    for piece in pieces:
                        blob.write(piece)


def stored_file(job):
    """The file an export job keeps in its row (see store_file), as it was written, in
    pieces of bytes: for a StreamingHttpResponse."""
    pieces = _stored_pieces(job)
    if job.parameters.get("stored") != "gzip":  # kept whole, before store_file (issue 8)
        yield from pieces
        return
    decompressor = zlib.decompressobj(GZIP)
    for piece in pieces:
        while piece:
            data = decompressor.decompress(piece, FILE_PIECE)
            if data:
                yield data
            piece = decompressor.unconsumed_tail
    if rest := decompressor.flush():
        yield rest


def _stored_pieces(job):
    table, key, pk = _job_row(job)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A slice of a value that is not compressed in the database (compressed bytes
            # are not compressed again) reads only its own part.
            cursor.execute(f"SELECT octet_length(data) FROM {table} WHERE {key} = %s", [pk])
            (length,) = cursor.fetchone() or (0,)
            for start in range(1, length + 1, FILE_PIECE):
                cursor.execute(
                    f"SELECT substring(data FROM %s FOR %s) FROM {table} WHERE {key} = %s", [start, FILE_PIECE, pk]
                )
                row = cursor.fetchone()
                if row is None:  # deleted meanwhile, as expired
                    return
                yield bytes(row[0])
            return
        cursor.execute(f"SELECT rowid FROM {table} WHERE {key} = %s", [pk])
        row = cursor.fetchone()
    if row is not None:
        with connection.connection.blobopen(FileJob._meta.db_table, "data", row[0]) as blob:
            while piece := blob.read(FILE_PIECE):
                yield piece


def _job_row(job):
    """The job's table and key column, quoted for SQL, and its key as the database holds it."""
    quote, pk = connection.ops.quote_name, FileJob._meta.pk
    return quote(FileJob._meta.db_table), quote(pk.column), pk.get_db_prep_value(job.pk, connection)


class Counted:
    def __init__(self, rows):
        self.rows = rows
        self.count = 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def changelist_request(job):
    """The changelist as its owner filtered it when starting the export, as the admin reads it."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(job.parameters.get("query", ""))
    request.user = job.user
    return request


def outcome(result, *, rows=True):
    """What the page of an import job shows, as JSON: bounded whatever the file's size."""
    warnings = getattr(result, "warnings", [])
    kept = sorted(result.rows, key=lambda row: row.import_type == SKIP)[:ROWS_KEPT] if rows else []
    return {
        "summary": str(result.summary()),
        "counts": dict(Counter(row.import_type for row in result.rows)),
        "row_count": len(result.rows),
        "problem_count": len(result.problems),
        "problems": [note(problem) for problem in result.problems[:NOTES_KEPT]],
        "warning_count": len(warnings),
        "warnings": [note(warning) for warning in warnings[:NOTES_KEPT]],
        "rows": [
            [
                row.number,
                row.import_type,
                clip(row.object_repr),
                [[column, clip(old), clip(new)] for column, old, new in row.changes or ()],
            ]
            for row in kept
        ],
    }


def problem_result(message):
    return {"problem_count": 1, "problems": [[0, "", message, ""]]}


def note(problem):
    return [problem.row, problem.column, str(problem.message), getattr(problem, "link", "") or ""]


def clip(value):
    value = "" if value is None else str(value)
    return value if len(value) <= VALUE_KEPT else value[: VALUE_KEPT - 1] + "…"
