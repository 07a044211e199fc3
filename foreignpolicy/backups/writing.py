"""Writing a backup: each file as the database is read (the records through the exports'
own streaming code), none of it held whole, all of it from one reading of the database."""

import json
import os
import subprocess
import tempfile
import time
import zipfile
from contextlib import contextmanager, suppress

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ..file_formats import CsvFormat
from ..jobs import Counted
from ..models import PreviousSlug
from ..registry import RECORDS, resource_for
from .layout import (
    FORMAT,
    MANIFEST,
    PREVIOUS_SLUG_COLUMNS,
    PREVIOUS_SLUGS,
    RECORD_KINDS,
    VERSION,
    VOCABULARIES,
    bytes_per_file,
    file_name,
    kept_in_one_file,
    rows_per_file,
)


def write_backup_file(path, force=False):
    """Write a backup to `path`, whole or not at all: into a temporary file beside it (only
    its owner may read it: it holds drafts), renamed once complete. An existing file is
    replaced only with `force`. Returns the manifest."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            manifest = write_backup(file)
            file.flush()
            os.fsync(file.fileno())
        if force:
            os.replace(temporary, path)
        else:
            # Unlike a rename, a link refuses a file that exists, even one made meanwhile.
            os.link(temporary, path)
            os.unlink(temporary)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    sync_folder(path.parent)
    return manifest


def sync_folder(folder):
    # The rename is durable once the folder that holds it is written.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_backup(output):
    """Write a backup to the binary file `output`; returns its manifest."""
    files = []
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.localtime().isoformat(timespec="seconds"),
        "commit": site_commit(),
        "files": files,
    }
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive, one_reading():
        write_vocabularies(archive, files)
        for kind in RECORD_KINDS:
            write_records(archive, files, kind)
        write_file(archive, files, PREVIOUS_SLUGS, PREVIOUS_SLUG_COLUMNS, lambda written: previous_slug_rows())
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return manifest


@contextmanager
def one_reading():
    """The whole backup read as of one moment while staff go on editing: in one
    transaction, on PostgreSQL at REPEATABLE READ. At its default level each query would
    see what was committed since the one before, so that the records' file could name a
    topic added after the topics' file was written. SQLite, with its write-ahead log,
    reads one state in a transaction, without keeping writers waiting."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def site_commit():
    """The commit of the code making the backup, when it runs from a git checkout."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


class Written:
    """A file of the archive being written, and how many bytes it holds so far."""

    def __init__(self, file):
        self.file = file
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return self.file.write(data)


def write_file(archive, files, holds, headers, rows_for, number=1):
    """Write one CSV file, as the exports write it, from the rows `rows_for(written)` gives."""
    name = file_name(holds, number)
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w") as member:
        written = Written(member)
        rows = Counted(rows_for(written))
        CsvFormat().write(headers, rows, written)
    files.append({"name": name, "holds": holds, "rows": rows.count})


def write_vocabularies(archive, files):
    for vocabulary in VOCABULARIES:
        entries = vocabulary.model.objects.order_by(vocabulary.key).values_list(*vocabulary.columns)
        rows = [[str(value) for value in entry] for entry in entries]
        write_file(archive, files, vocabulary.holds, vocabulary.columns, lambda written, rows=rows: rows)


def write_records(archive, files, kind):
    """The records of a kind as `export_csv` writes them, drafts included, in as many files
    as one import's limits need."""
    resource = resource_for(kind)
    rows = FileRows(resource.export_rows(), limited=not kept_in_one_file(resource._meta.model))
    number = 1
    while number == 1 or rows.remaining:
        write_file(archive, files, kind, resource.get_export_headers(), rows.of_file, number)
        number += 1


class FileRows:
    """Rows read once, cut into files: a file's rows end with the rows, or (`limited`)
    where the file is full. Every file holds at least one row."""

    def __init__(self, rows, limited):
        self.rows = iter(rows)
        self.next = next(self.rows, None)
        self.limited = limited

    @property
    def remaining(self):
        return self.next is not None

    def of_file(self, written):
        count = 0
        while self.next is not None and not (self.limited and count and self.full(count, written)):
            yield self.next
            count += 1
            self.next = next(self.rows, None)

    @staticmethod
    def full(count, written):
        # The writer takes rows some hundreds at a time: the size lags by at most that many.
        return count >= rows_per_file() or written.size >= bytes_per_file()


def previous_slug_rows():
    """[kind, previous slug, slug now] for every old address; those of records deleted since
    lead nowhere, and are left out."""
    for kind in RECORDS:
        model = resource_for(kind)._meta.model
        slug_now = model.objects.filter(pk=OuterRef("object_id")).values("slug")[:1]
        slugs = (
            PreviousSlug.objects.filter(content_type=ContentType.objects.get_for_model(model))
            .annotate(slug_now=Subquery(slug_now))
            .exclude(slug_now=None)
            .order_by("slug")
            .values_list("slug", "slug_now")
        )
        for previous, slug in slugs.iterator():
            yield [kind, previous, slug]
