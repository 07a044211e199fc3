"""Opening a backup within limits, before anything is written.

A backup may come from anywhere (a copy, a mail), so it is read as a hostile file:
- its table of contents is counted (at most MAX_FILES) before zipfile reads it;
- its manifest must list exactly the files a backup holds, under their own names, and
  the archive must hold exactly those. Nothing is ever unpacked to disk: a name such as
  "../x" is refused, never followed;
- before any file is read, each must be packed as `backup` packs (Deflate or stored, not
  encrypted) and declare that it unpacks to at most IMPORT_MAX_XLSX_UNPACKED_BYTES, nor,
  past its first megabyte, to more than 100 times its packed size (a zip bomb; the rule
  the .xlsx reader follows);
- while a file is read, zipfile stops at the size it declared and checks its checksum,
  and its rows are read as any imported file is (IMPORT_MAX_*, docs/csv-format.md).
"""

import json
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..columns import quoted
from ..imports.problems import Problem
from ..imports.reading import header_name
from ..tabular import (
    CHUNK,
    XLSX_MAX_RATIO,
    XLSX_RATIO_GRACE,
    ZIP_TAIL_BYTES,
    FileProblem,
    csv_pieces,
    read_table,
    zip_directory,
)
from .layout import (
    COLUMNS_ADDED_LATER,
    FORMAT,
    MANIFEST,
    MAX_FILES,
    MAX_MANIFEST_BYTES,
    PREVIOUS_SLUGS,
    RECORD_KINDS,
    VERSION,
    VOCABULARIES,
    file_name,
)


class BackupProblem(Exception):
    """Why a backup cannot be restored, each message naming its file (and row and column)."""

    def __init__(self, messages):
        super().__init__("\n".join(messages))
        self.messages = list(messages)

    @classmethod
    def in_file(cls, name, problems):
        """The problems of the backup's file `name`, each message beginning with it."""
        return cls([f"{name}: {problem}" for problem in problems])


@dataclass(frozen=True)
class Entry:
    """A file of the backup, as its manifest lists it."""

    name: str
    holds: str
    rows: int


class Backup:
    def __init__(self, archive, manifest):
        self.archive = archive
        self.manifest = manifest
        self.entries = [Entry(item["name"], item["holds"], item["rows"]) for item in manifest["files"]]

    def files_of(self, holds):
        return [entry for entry in self.entries if entry.holds == holds]

    def table(self, entry, headers):
        """The file's rows as a Dataset whose columns are `headers`, read within the
        import's limits; None for a file that holds its header alone, as the manifest says."""
        data = unpacked(self.archive.getinfo(entry.name), self.archive, settings.IMPORT_MAX_XLSX_UNPACKED_BYTES)
        if entry.rows == 0:
            if data != b"".join(csv_pieces(headers, [])):
                message = _("%(manifest)s says that it holds no rows, but it holds more than its header.")
                raise BackupProblem.in_file(entry.name, [message % {"manifest": MANIFEST}])
            return None
        try:
            dataset = read_table(data, entry.name)
        except FileProblem as problem:
            raise BackupProblem.in_file(entry.name, [problem]) from problem
        problems = header_problems(dataset.headers, headers)
        if len(dataset) != entry.rows:
            message = ngettext(
                "it holds %(rows)d row, where %(manifest)s says %(listed)d: the backup was changed or is incomplete.",
                "it holds %(rows)d rows, where %(manifest)s says %(listed)d: the backup was changed or is incomplete.",
                len(dataset),
            )
            problems.append(message % {"rows": len(dataset), "manifest": MANIFEST, "listed": entry.rows})
        if problems:
            raise BackupProblem.in_file(entry.name, problems)
        return dataset


@contextmanager
def opened(path):
    """The backup at `path`, its manifest and table of contents checked."""
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed by the with below, also on a refusal
    except OSError as error:
        raise BackupProblem(
            [_("Cannot read %(file)s: %(reason)s.") % {"file": path, "reason": error.strerror}]
        ) from error
    with file:
        count_contents(file, path)
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise BackupProblem([not_a_zip(path)]) from error
        with archive:
            yield Backup(archive, read_manifest(archive))


def not_a_zip(path):
    return _("%(file)s is not a backup: it is not a zip archive, or it is damaged.") % {"file": path}


def count_contents(file, path):
    """Refuse an archive whose table of contents lists more files than a backup holds,
    before zipfile reads the whole table."""
    size = file.seek(0, 2)
    file.seek(max(0, size - ZIP_TAIL_BYTES))
    directory = zip_directory(file.read())
    file.seek(0)
    if directory is None:
        raise BackupProblem([not_a_zip(path)])
    entries, directory_bytes = directory
    if entries > MAX_FILES + 1 or directory_bytes > (MAX_FILES + 1) * 1024:
        message = _("%(file)s lists more than %(limit)d files, far more than a backup holds. Nothing was read.")
        raise BackupProblem([message % {"file": path, "limit": MAX_FILES}])


def unpacked(info, archive, limit):
    """The bytes of one file of the archive, checked before and while it is unpacked."""
    problem = packing_problem(info, limit)
    if problem:
        raise BackupProblem([problem])
    try:
        with archive.open(info) as member:
            return b"".join(iter(lambda: member.read(CHUNK), b""))
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as error:
        message = _("“%(file)s” is damaged: its bytes are not those the archive lists for it.")
        raise BackupProblem([message % {"file": info.filename}]) from error


def packing_problem(info, limit):
    """What is wrong with how a file of the archive is packed, from the archive's table
    of contents alone; None when nothing is."""
    name = info.filename
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return _("“%(file)s” is encrypted, or packed in a way manage.py backup never packs.") % {"file": name}
    if info.file_size > limit:
        message = _("“%(file)s” unpacks to %(size)s, more than the %(limit)s one file of a backup may hold.")
        return message % {"file": name, "size": filesizeformat(info.file_size), "limit": filesizeformat(limit)}
    if info.file_size > XLSX_RATIO_GRACE and info.file_size > XLSX_MAX_RATIO * max(info.compress_size, 1):
        message = _(
            "“%(file)s” unpacks to more than %(ratio)d times its packed size, which no CSV file does: it is made "
            "to exhaust the server (a “zip bomb”). Nothing was read."
        )
        return message % {"file": name, "ratio": XLSX_MAX_RATIO}
    return None


def read_manifest(archive):
    """The manifest, checked: this format and version, and the files a backup holds, each
    under its own name, all of them in the archive and nothing else."""
    names = archive.namelist()
    if MANIFEST not in names:
        raise BackupProblem(
            [
                _("The archive holds no %(manifest)s: it is not a backup made by manage.py backup.")
                % {"manifest": MANIFEST}
            ]
        )
    try:
        manifest = json.loads(unpacked(archive.getinfo(MANIFEST), archive, MAX_MANIFEST_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupProblem([_("%(manifest)s is not valid JSON.") % {"manifest": MANIFEST}]) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupProblem([_("%(manifest)s does not describe a backup of this site.") % {"manifest": MANIFEST}])
    if manifest.get("version") != VERSION:
        message = _(
            "%(manifest)s gives version %(version)s of the backup format; this release restores version "
            "%(supported)d only. Restore it with the release that made it (commit %(commit)s)."
        )
        values = {"version": manifest.get("version"), "supported": VERSION, "commit": manifest.get("commit") or "?"}
        raise BackupProblem([message % {"manifest": MANIFEST, **values}])
    if not well_formed(manifest):
        raise BackupProblem(
            [_("%(manifest)s is damaged: its date or its list of files cannot be read.") % {"manifest": MANIFEST}]
        )
    problems = listing_problems(manifest["files"]) + contents_problems(names, manifest["files"])
    if problems:
        raise BackupProblem(problems)
    # Every file checked before any is read: a bomb in the last file stops the restore before the first.
    limit = settings.IMPORT_MAX_XLSX_UNPACKED_BYTES
    problems = [packing_problem(archive.getinfo(item["name"]), limit) for item in manifest["files"]]
    if any(problems):
        raise BackupProblem(list(filter(None, problems)))
    return manifest


def well_formed(manifest):
    files = manifest.get("files")
    return (
        isinstance(manifest.get("created_at"), str)
        and isinstance(files, list)
        and all(
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("holds"), str)
            and type(item.get("rows")) is int
            and item["rows"] >= 0
            for item in files
        )
    )


def listing_problems(files):
    """The files a backup holds: one per vocabulary and for the previous slugs, one or more
    per record kind, each named as `backup` names it."""
    vocabularies = [vocabulary.holds for vocabulary in VOCABULARIES]
    single = {*vocabularies, PREVIOUS_SLUGS}
    problems = []
    for holds in [*vocabularies, *RECORD_KINDS, PREVIOUS_SLUGS]:
        names = [item["name"] for item in files if item["holds"] == holds]
        expected = [file_name(holds, number) for number in range(1, len(names) + 1)]
        if not names:
            message = _("%(manifest)s lists no file of %(holds)s: the backup is incomplete.")
            problems.append(message % {"manifest": MANIFEST, "holds": holds})
        elif holds in single and len(names) > 1:
            message = _("%(manifest)s lists more than one file of %(holds)s, where a backup has one.")
            problems.append(message % {"manifest": MANIFEST, "holds": holds})
        elif names != expected:
            message = _("%(manifest)s names the files of %(holds)s %(names)s, where a backup names them %(expected)s.")
            problems.append(
                message % {"manifest": MANIFEST, "holds": holds, "names": quoted(names), "expected": quoted(expected)}
            )
    known = {*single, *RECORD_KINDS}
    for item in files:
        if item["holds"] not in known:
            message = _("%(manifest)s lists “%(file)s”, of “%(holds)s”, which is nothing a backup holds.")
            problems.append(message % {"manifest": MANIFEST, "file": item["name"], "holds": item["holds"]})
    return problems


def contents_problems(names, files):
    """The archive must hold exactly the files its manifest lists, each once."""
    listed = {item["name"] for item in files}
    problems = []
    for name in dict.fromkeys(names):
        if names.count(name) > 1:
            problems.append(_("The archive holds more than one file named “%(file)s”.") % {"file": name})
        elif name not in listed and name != MANIFEST:
            message = _(
                "The archive holds “%(file)s”, which %(manifest)s does not list: a backup holds only the files "
                "it lists."
            )
            problems.append(message % {"file": name, "manifest": MANIFEST})
    for item in files:
        if item["name"] not in names:
            message = _("The archive lacks “%(file)s”, which %(manifest)s lists: the backup is incomplete.")
            problems.append(message % {"file": item["name"], "manifest": MANIFEST})
    return problems


def header_problems(headers, expected):
    """A backup's file has every column of its kind, each once, and no other."""
    names = [header_name(header) for header in headers]
    problems = [
        Problem(0, name, _("the column appears twice; keep one."))
        for name in dict.fromkeys(names)
        if names.count(name) > 1
    ]
    problems += [
        Problem(0, name, _("not a column of this file.")) for name in dict.fromkeys(names) if name not in expected
    ]
    problems += [
        Problem(0, name, _("missing: every file of a backup has all the columns of what it holds."))
        for name in expected
        if name not in names and name not in COLUMNS_ADDED_LATER
    ]
    return [str(problem) for problem in problems]
