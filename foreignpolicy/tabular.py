"""Reading spreadsheet files as staff save them, and writing the canonical export.

CSV and Excel (.xlsx) go through the same checks. Cells a spreadsheet would run as a
formula are neutralised on the way out and restored on the way in, so that exporting and
importing again gives the same text.

Every file is read against limits (settings IMPORT_MAX_*, docs/csv-format.md "Limits"),
checked while reading: a CSV is decoded and parsed a piece at a time, and an .xlsx is
checked part by part, unpacked in small pieces, before openpyxl reads its rows. Reading
stops at the first limit a file passes, with a FileProblem saying so in plain words.
"""

import codecs
import csv
import functools
import io
import json
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain, islice
from xml.etree.ElementTree import ParseError

import tablib
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .bulk import without_cycle_collection

UTF8_BOM = b"\xef\xbb\xbf"
DELIMITERS = ",;\t"
# A spreadsheet runs a cell that starts with one of these as a formula. A line feed is
# there too because an .xlsx file (XML) turns a leading carriage return into one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
NEUTRALISER = "'"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Excel 97-2003 workbooks, and password-protected .xlsx files, are OLE2 compound files.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Control characters other than tab, CR and LF: nothing shows them, and PostgreSQL refuses NUL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
NEWLINE = re.compile(r"\r\n|\r|\n")
RAGGED_ROWS_LISTED = 20
CHUNK = 64 * 1024
TEXT_CHUNK = 1024 * 1024

# The bytes of UTF-8's multi-byte characters, and sequences shaped like them that only a
# faulty UTF-8 writer makes: over-long forms, encoded surrogates, codes beyond U+10FFFF.
UTF8_CHARACTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
UTF8_FAULTY = re.compile(
    rb"[\xc0\xc1][\x80-\xbf]|\xe0[\x80-\x9f][\x80-\xbf]|\xed[\xa0-\xbf][\x80-\xbf]"
    rb"|\xf0[\x80-\x8f][\x80-\xbf]{2}|\xf4[\x90-\xbf][\x80-\xbf]{2}|[\xf5-\xf7][\x80-\xbf]{3}"
)
# UTF-8 for é, ñ, ¿… (C2/C3 and a continuation byte) and for “ ” – … (E2 80): in Windows-1252
# these read “Ã©”, “Ã±”, “Â¿”, “â€œ”, which Spanish text never holds.
UTF8_LATIN = re.compile(rb"[\xc2\xc3][\x80-\xbf]|\xe2[\x80\x81][\x80-\xbf]")
HIGH_BYTES = bytes(range(0x80, 0x100))

# .xlsx: limits that are not settings, because no real workbook comes near them.
XLSX_MAX_PARTS = 1000
XLSX_MAX_DIRECTORY_BYTES = XLSX_MAX_PARTS * 1024
# Apache POI's default: a part may unpack to at most 100 times its packed size, once it
# is past the first megabyte. Real sheets unpack to 5-20 times.
XLSX_MAX_RATIO = 100
XLSX_RATIO_GRACE = 1024 * 1024
# Parts that openpyxl parses whole into a tree (content types, relationships, workbook,
# styles, properties, theme, chart sheets and drawings) together.
XLSX_MAX_WHOLE_PARTS_BYTES = 4 * 1024 * 1024
XLSX_HEAD = 64 * 1024
EXCEL_MAX_ROWS = 1048576
# Shared strings the first sheet does not use (other sheets' text, lists for drop-downs).
XLSX_SPARE_STRINGS = 10_000
# XML elements: per cell on average, and per row or per shared string at most (per column).
XLSX_ELEMENTS_PER_CELL = 32
XLSX_SPARE_ELEMENTS = 100_000
XLSX_ELEMENTS_PER_COLUMN = 64
XLSX_CELLS_PER_COLUMN = 4

PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*:)?(?:worksheet|sst)[\s/>]")
ROW_NUMBER = re.compile(rb"""\br\s*=\s*["']\s*(\d{1,9})""")
DIMENSION_TAG = re.compile(rb"<" + PREFIX + rb"dimension(?=[\s/>])")
SHEET_DATA_TAG = re.compile(rb"<" + PREFIX + rb"sheetData(?=[\s/>])")
LOCAL_HEADER = struct.Struct("<4s5H3L2H")
END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
# The record that ends a zip archive, and the comment of up to 64 KiB that may follow it.
ZIP_TAIL_BYTES = END_OF_DIRECTORY.size + 65535


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says why in plain words.

    `row` and `column` name the place, where there is one (the message names it too).
    """

    def __init__(self, message, *, row=None, column=None):
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class Limits:
    rows: int
    columns: int
    cell_chars: int
    xlsx_unpacked_bytes: int

    @classmethod
    def from_settings(cls):
        return cls(
            rows=settings.IMPORT_MAX_ROWS,
            columns=settings.IMPORT_MAX_COLUMNS,
            cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            xlsx_unpacked_bytes=settings.IMPORT_MAX_XLSX_UNPACKED_BYTES,
        )

    @property
    def row_chars(self):
        # Room for both Markdown bodies at full length and every other column besides; a
        # longer row is a quote left open or a header that never ends.
        return 4 * self.cell_chars

    @property
    def xlsx_text_bytes(self):
        # A cell's text in XML: up to 4 bytes a character, more where escaped (&amp;).
        return 8 * self.cell_chars


# The first characters of the text that neutralise() quotes (each a single character).
NEUTRALISED_STARTS = frozenset((*FORMULA_STARTS, NEUTRALISER))


def neutralise(value):
    """Prefix a quote to text a spreadsheet would run (and to text already starting with
    one), so that it shows as typed."""
    if isinstance(value, str) and value[:1] in NEUTRALISED_STARTS:
        return NEUTRALISER + value
    return value


def restore(value):
    if (
        isinstance(value, str)
        and value.startswith(NEUTRALISER)
        and value[1:].startswith((*FORMULA_STARTS, NEUTRALISER))
    ):
        return value[1:]
    return value


@without_cycle_collection()
def read_table(data, filename):
    """A Dataset from the bytes of a .csv or .xlsx file, chosen by the file's extension."""
    if str(filename).lower().endswith(".xlsx"):
        return read_xlsx(data)
    return read_csv(data)


def _n(number):
    return number_format(number, force_grouping=True)


def _column_label(header, index):
    if header and index < len(header) and header[index]:
        return _("column “%(name)s”") % {"name": header[index]}
    return _("column %(number)s") % {"number": _n(index + 1)}


class _Table:
    """The rows of a file as they are read, each checked against the limits on arrival.

    Rows keep their place (blank rows included), so that row N of the dataset is row
    N + 2 of the spreadsheet the user sees.
    """

    def __init__(self, limits, short_rows=False):
        self.limits = limits
        # A sheet leaves out the empty cells at the end of a row; a CSV file does not.
        self.short_rows = short_rows
        self.number = 0  # the spreadsheet row last added; the header is row 1
        self.header = None
        self.rows = []
        self.last_filled = 0
        self.ragged = []
        self.more_ragged = 0
        # Whether a cell may hold a control character; reading a CSV file's text, which
        # looks for them a megabyte at a time, says where they may be.
        self.may_hold_controls = True

    def add(self, cells):
        self.number += 1
        number = self.number
        if number > self.limits.rows + 1:
            raise FileProblem(
                _("The file has more than %(limit)s rows of data (blank rows included). Split it into smaller files.")
                % {"limit": _n(self.limits.rows)},
                row=number,
            )
        self.check_cells(number, cells)
        filled = any(cell.strip() for cell in cells)
        if self.header is None:
            header = [cell.strip().lstrip("\ufeff") for cell in cells]
            while header and not header[-1]:
                header.pop()
            if len(header) > self.limits.columns:
                raise FileProblem(
                    _("The header (row 1) has %(count)s columns; at most %(limit)s can be read.")
                    % {"count": _n(len(header)), "limit": _n(self.limits.columns)},
                    row=1,
                )
            self.header = header
            self.header_filled = filled
            return
        width = len(self.header)
        if filled:
            self.last_filled = len(self.rows) + 1
            if (len(cells) < width and not self.short_rows) or any(cell.strip() for cell in cells[width:]):
                if len(self.ragged) < RAGGED_ROWS_LISTED:
                    self.ragged.append((number, len(cells)))
                else:
                    self.more_ragged += 1
        self.rows.append((cells + [""] * width)[:width] if len(cells) != width else cells)

    def check_cells(self, number, cells):
        if not cells:
            return
        if max(map(len, cells)) > self.limits.cell_chars:
            index = next(i for i, cell in enumerate(cells) if len(cell) > self.limits.cell_chars)
            raise FileProblem(
                _("Row %(row)s, %(column)s: the cell holds %(length)s characters; a cell may hold at most %(limit)s.")
                % {
                    "row": _n(number),
                    "column": _column_label(self.header, index),
                    "length": _n(len(cells[index])),
                    "limit": _n(self.limits.cell_chars),
                },
                row=number,
                column=index + 1,
            )
        if self.may_hold_controls and CONTROL.search("".join(cells)):
            index, match = next((i, m) for i, m in enumerate(map(CONTROL.search, cells)) if m)
            raise FileProblem(
                _(
                    "Row %(row)s, %(column)s: the cell holds a control character (%(character)s), which no text "
                    "needs and which cannot be stored. Remove it and try again."
                )
                % {
                    "row": _n(number),
                    "column": _column_label(self.header, index),
                    "character": f"U+{ord(match.group()):04X}",
                },
                row=number,
                column=index + 1,
            )

    def dataset(self):
        if self.header is None or not (self.header_filled or self.last_filled):
            raise FileProblem(_("The file is empty."))
        del self.rows[self.last_filled :]
        if not self.rows:
            raise FileProblem(_("The file has a header row but no rows of data."))
        if self.ragged:
            sentences = [
                _("Row %(row)d has %(cells)d cells but the header has %(columns)d columns.")
                % {"row": number, "cells": cells, "columns": len(self.header)}
                for number, cells in self.ragged
            ]
            if self.more_ragged:
                sentences.append(
                    ngettext(
                        "%(count)s more row has the wrong number of cells.",
                        "%(count)s more rows have the wrong number of cells.",
                        self.more_ragged,
                    )
                    % {"count": _n(self.more_ragged)}
                )
            raise FileProblem(" ".join(sentences), row=self.ragged[0][0])
        # Every row has the header's width: no need for append()'s check of each.
        return tablib.Dataset(*self.rows, headers=self.header)


# CSV


def read_csv(data, limits=None):
    """Parse CSV bytes into a Dataset whose first row is the header."""
    limits = limits or Limits.from_settings()
    codec, start = _text_codec(data)
    table = _Table(limits)
    table.may_hold_controls = False  # until _decoded() finds one
    lines = _physical_lines(_decoded(data, codec, start, table), table, limits)
    first = next(lines, None)
    if first is None:
        raise FileProblem(_("The file is empty."))
    # The row limit already bounds every cell; the csv module's own (128 KiB) would stop
    # a long cell before it can be named with its row and column.
    if csv.field_size_limit() <= limits.row_chars:
        csv.field_size_limit(limits.row_chars + 1)
    reader = csv.reader(chain([first], lines), delimiter=sniff_delimiter(first))
    try:
        for cells in reader:
            table.add(cells)
    except csv.Error as error:
        raise FileProblem(
            _("Row %(row)s: the file is not valid CSV: %(reason)s.") % {"row": _n(table.number + 1), "reason": error},
            row=table.number + 1,
        ) from error
    return table.dataset()


def sniff_delimiter(text):
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _text_codec(data):
    """The codec to read `data` with, and where the text starts (after a byte-order mark)."""
    if data.startswith(codecs.BOM_UTF16_LE):
        # Excel's "Unicode text" (tab-delimited UTF-16).
        return "utf-16-le", 2
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if data.startswith(UTF8_BOM):
        return "utf-8", len(UTF8_BOM)
    if data.startswith(ZIP_MAGIC):
        raise FileProblem(
            _("This is an Excel workbook, although its name ends in .csv. Rename it to .xlsx and try again.")
        )
    if data.startswith(OLE2_MAGIC):
        raise FileProblem(_old_excel_message())
    head = data[:4096]
    if b"\x00" in head:
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if (odd > len(head) // 4 and not even) or (even > len(head) // 4 and not odd):
            raise FileProblem(
                _(
                    "This looks like UTF-16 text without the byte-order mark that tells how to read it. "
                    "Save it as “CSV UTF-8” and try again."
                )
            )
        raise FileProblem(_("This is not a text file (it looks like a binary file). Save it as CSV and try again."))
    if data.isascii() or _is_utf8(data) or _looks_like_damaged_utf8(data):
        # Damaged UTF-8 is read as UTF-8 all the same, so that reading stops at the first
        # damaged byte, naming it and its row, rather than turning every accent into “Ã©”.
        return "utf-8", 0
    # Excel on Windows saves "CSV" in the ANSI code page, Windows-1252 for Spanish.
    return "cp1252", 0


def _is_utf8(data):
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for offset in range(0, len(data), TEXT_CHUNK):
            decoder.decode(view[offset : offset + TEXT_CHUNK], final=offset + TEXT_CHUNK >= len(data))
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_damaged_utf8(data):
    """Whether bytes that are not valid UTF-8 were meant to be UTF-8 all the same.

    Windows-1252 text has accented letters followed by plain letters (“ción”), which UTF-8
    cannot hold. UTF-8 text that was cut, concatenated or written by a faulty program still
    holds UTF-8's own sequences: the two bytes of “é”, or over-long and surrogate forms.
    """
    if UTF8_FAULTY.search(data) or UTF8_LATIN.search(data):
        return True
    rest, characters = UTF8_CHARACTER.subn(b"", data)
    others = len(rest) - len(rest.translate(None, HIGH_BYTES))
    return characters > others


def _decoded(data, codec, start, table):
    """The text of `data`, a piece at a time; stops at the first byte that cannot be read,
    after the text before it, so that the row it is in is the row being read."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(data)
    for offset in range(start, len(data), TEXT_CHUNK):
        held = len(decoder.getstate()[0])
        try:
            text = decoder.decode(view[offset : offset + TEXT_CHUNK], final=offset + TEXT_CHUNK >= len(data))
        except UnicodeDecodeError as error:
            position = offset - held + error.start
            good = bytes(view[offset - held : position])
            if good:
                yield good.decode(codec)
            raise _undecodable(data, codec, position, table.number + 1) from error
        if text:
            if CONTROL.search(text):
                table.may_hold_controls = True
            yield text


def _undecodable(data, codec, position, row):
    values = {"row": _n(row), "position": _n(position + 1)}
    if codec == "cp1252":
        message = _(
            "Row %(row)s: the file is neither UTF-8 nor Windows-1252 text (byte %(position)s cannot be read). "
            "Save it as “CSV UTF-8” and try again."
        )
    elif codec == "utf-8":
        values["reason"] = _utf8_fault(data[position : position + 4])
        message = _(
            "Row %(row)s: the file is UTF-8 text, but byte %(position)s is not (%(reason)s). The file was damaged "
            "or saved by a faulty program. Save it again as “CSV UTF-8” and try again."
        )
    else:
        # Only a missing last byte or half of a surrogate pair can stop UTF-16.
        values["reason"] = (
            _("a character cut short")
            if position + 2 > len(data)
            else _("half of a UTF-16 surrogate pair, without the other half")
        )
        message = _(
            "Row %(row)s: the file starts as UTF-16 text, but byte %(position)s cannot be read (%(reason)s). "
            "Save it again as “CSV UTF-8” and try again."
        )
    return FileProblem(message % values, row=row)


def _utf8_fault(sequence):
    lead, follower = sequence[0], sequence[1] if len(sequence) > 1 else 0
    if 0x80 <= lead <= 0xBF:
        return _("a byte that can only continue a character, where none began")
    over_long = lead in (0xC0, 0xC1) or (lead == 0xE0 and follower < 0xA0) or (lead == 0xF0 and follower < 0x90)
    if over_long and 0x80 <= follower <= 0xBF:
        return _("a character written with more bytes than it needs")
    if lead == 0xED and 0xA0 <= follower <= 0xBF:
        return _("half of a UTF-16 surrogate pair, written as UTF-8")
    if lead >= 0xF5 or (lead == 0xF4 and follower >= 0x90):
        return _("a code beyond the last Unicode character")
    return _("a character cut short")


def _physical_lines(chunks, table, limits):
    """Lines with their line endings (CRLF, LF or CR), as csv.reader wants them; refuses a
    row (all of its lines) longer than the limit before holding more of it."""
    pending = ""
    row, used = None, 0
    for chunk in chunks:
        pending += chunk
        start = 0
        for match in NEWLINE.finditer(pending):
            end = match.end()
            if end == len(pending) and match.group() == "\r":
                break  # its LF may start the next piece
            if table.number != row:
                row, used = table.number, 0
            used += end - start
            if used > limits.row_chars:
                raise _row_too_long(table.number + 1, limits)
            yield pending[start:end]
            start = end
        pending = pending[start:]
        if table.number != row:
            row, used = table.number, 0
        if used + len(pending) > limits.row_chars:
            raise _row_too_long(table.number + 1, limits)
    if pending:
        yield pending


def _row_too_long(row, limits):
    return FileProblem(
        _(
            "Row %(row)s is longer than %(limit)s characters, more than any row of this format. Check that every "
            "quote in it is closed and that it has no more cells than the header."
        )
        % {"row": _n(row), "limit": _n(limits.row_chars)},
        row=row,
    )


# Excel


def _old_excel_message():
    return _(
        "This is an Excel 97-2003 workbook (.xls) or a workbook protected by a password, which cannot be read. "
        "Save it as an Excel workbook (.xlsx) without a password, or as CSV, and try again."
    )


def _damaged():
    return FileProblem(_("This is not an Excel .xlsx file, or it is damaged. Save it again from Excel."))


def read_xlsx(data, limits=None):
    """The first sheet of an Excel workbook, its first row the header."""
    import openpyxl  # noqa: PLC0415 - only Excel files need it

    if not openpyxl.DEFUSEDXML:
        # openpyxl parses with defusedxml when it is installed, unless OPENPYXL_DEFUSEDXML=False.
        raise ImproperlyConfigured("Excel files are read only with defusedxml: unset OPENPYXL_DEFUSEDXML.")
    limits = limits or Limits.from_settings()
    if not data:
        raise FileProblem(_("The file is empty."))
    if not data.startswith(ZIP_MAGIC):
        raise _not_a_workbook(data)
    workbook = None
    try:
        archive, parts = _open_archive(data, limits)
        sheet, strings = _first_sheet(archive, parts)
        scan = _scan_sheet(data, parts[sheet], limits)
        if strings in parts:
            _scan_strings(data, parts[strings], scan, limits)
        if not scan.last_row:
            raise FileProblem(_("The file is empty."))
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        worksheet = workbook.worksheets[0]
        # The rows as they are, not as wide and long as the sheet's own (perhaps false) dimension says.
        worksheet.reset_dimensions()
        table = _Table(limits, short_rows=True)
        # Up to the last row with a value: formatting below it (empty rows, openpyxl fills
        # gaps between rows with empty ones) is not read.
        for values in worksheet.iter_rows(max_row=scan.last_row, values_only=True):
            table.add([_xlsx_cell(value) for value in values])
    except FileProblem:
        raise
    except DefusedXmlException as error:
        raise _dtd_problem() from error
    except ValueError as error:
        # openpyxl wraps what went wrong while loading in a ValueError of its own.
        if isinstance(error.__cause__, DefusedXmlException):
            raise _dtd_problem() from error
        raise _damaged() from error
    except (
        ParseError,
        zipfile.BadZipFile,
        zlib.error,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        OverflowError,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
    ) as error:
        # Whatever else a damaged part makes openpyxl raise.
        raise _damaged() from error
    finally:
        if workbook is not None:
            workbook.close()
    return table.dataset()


def _not_a_workbook(data):
    if data.startswith(OLE2_MAGIC):
        return FileProblem(_old_excel_message())
    head = data[:4096]
    if b"\x00" not in head and not CONTROL.search(head.decode("cp1252", "replace")):
        return FileProblem(
            _("This file holds text (such as CSV), although its name ends in .xlsx. Rename it to .csv and try again.")
        )
    return _damaged()


def _dtd_problem():
    return FileProblem(
        _(
            "The workbook holds an XML document type declaration (a DTD) or XML entities, which spreadsheet "
            "programs never write and which can be used to attack a server. The file was not read."
        )
    )


@dataclass
class _Part:
    info: zipfile.ZipInfo
    size: int
    has_dimension: bool


def _open_archive(data, limits):
    """The zip archive, each of its parts checked by unpacking it in small pieces: how many
    there are, how they are packed, how far they unpack, and that none holds a DTD."""
    _check_directory(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) > XLSX_MAX_PARTS:
        raise _too_many_parts()
    parts, total = {}, 0
    for info in infos:
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileProblem(
                _(
                    "The workbook is packed in a way Excel never uses (its part “%(part)s” is encrypted or "
                    "compressed by another method). Save it again from Excel."
                )
                % {"part": info.filename}
            )
        size, head = 0, b""
        for piece in _unpacked(data, info):
            size += len(piece)
            total += len(piece)
            if len(head) < XLSX_HEAD:
                head += piece[: XLSX_HEAD - len(head)]
            if size > XLSX_RATIO_GRACE and size > XLSX_MAX_RATIO * max(info.compress_size, 1):
                raise FileProblem(
                    _(
                        "The workbook's part “%(part)s” unpacks to more than %(ratio)s times its packed size, which "
                        "no real workbook does: it is made to exhaust the server (a “zip bomb”). The file was not read."
                    )
                    % {"part": info.filename, "ratio": _n(XLSX_MAX_RATIO)}
                )
            if total > limits.xlsx_unpacked_bytes:
                raise FileProblem(
                    _(
                        "The workbook unpacks to more than %(limit)s, more than can be read. Split it into smaller "
                        "files, or save it as CSV, and try again."
                    )
                    % {"limit": filesizeformat(limits.xlsx_unpacked_bytes)}
                )
        if size != info.file_size:
            raise _damaged()
        if info.filename.lower().endswith((".xml", ".rels", ".vml")) and _declares_dtd(head):
            raise _dtd_problem()
        parts[info.filename] = _Part(info, size, _dimension_first(head))
    return archive, parts


def _check_directory(data):
    directory = zip_directory(data)
    if directory is None:
        raise _damaged()
    entries, directory_size = directory
    if entries > XLSX_MAX_PARTS or directory_size > XLSX_MAX_DIRECTORY_BYTES:
        raise _too_many_parts()


def zip_directory(tail):
    """(entries, bytes) of a zip archive's table of contents, read from the record that
    ends the archive, which `tail` holds (the archive's last ZIP_TAIL_BYTES, or all of it);
    None when there is no such record. zipfile reads the whole table at once, so callers
    count its entries before they let it."""
    end = tail.rfind(b"PK\x05\x06", max(0, len(tail) - ZIP_TAIL_BYTES))
    if end < 0 or end + END_OF_DIRECTORY.size > len(tail):
        return None
    fields = END_OF_DIRECTORY.unpack_from(tail, end)
    return fields[4], fields[5]


def xlsx_unpacked_size(data):
    """What the parts of an .xlsx file unpack to together, as its zip directory declares,
    read from that directory alone: the most that reading the file unpacks, since a part
    that unpacks to more than it declares is refused as soon as it does (`_unpacked`).
    None when there is no directory to read, and reading would refuse the file at once."""
    try:
        _check_directory(data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (FileProblem, zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None


def _too_many_parts():
    return FileProblem(
        _(
            "The workbook is made of more than %(limit)s parts, far more than a real workbook has. "
            "The file was not read."
        )
        % {"limit": _n(XLSX_MAX_PARTS)}
    )


def _unpacked(data, info):
    """The bytes of one part, a piece at a time, however far its packed bytes would unpack;
    checked against the sizes and checksum the archive declares for it."""
    if info.header_offset + LOCAL_HEADER.size > len(data):
        raise _damaged()
    header = LOCAL_HEADER.unpack_from(data, info.header_offset)
    if header[0] != b"PK\x03\x04":
        raise _damaged()
    start = info.header_offset + LOCAL_HEADER.size + header[9] + header[10]
    packed = memoryview(data)[start : start + info.compress_size]
    if len(packed) < info.compress_size:
        raise _damaged()
    checksum, size = 0, 0
    if info.compress_type == zipfile.ZIP_STORED:
        pieces = (packed[offset : offset + CHUNK] for offset in range(0, len(packed), CHUNK))
    else:
        pieces = _inflated(packed)
    for piece in pieces:
        size += len(piece)
        if size > info.file_size:
            raise _damaged()  # it unpacks to more than it says
        checksum = zlib.crc32(piece, checksum)
        yield piece
    if checksum != info.CRC:
        raise _damaged()


def _inflated(packed):
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for offset in range(0, len(packed), CHUNK):
        piece = inflater.decompress(packed[offset : offset + CHUNK], CHUNK)
        while True:
            if piece:
                yield piece
            if not inflater.unconsumed_tail:
                break
            piece = inflater.decompress(inflater.unconsumed_tail, CHUNK)
    rest = inflater.flush()
    if rest:
        yield rest


def _declares_dtd(head):
    # A DTD can only come before the first element, at the head of a part.
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        text = head.decode("utf-16", "ignore")
    elif head[:2] == b"<\x00":
        text = head.decode("utf-16-le", "ignore")
    elif head[:2] == b"\x00<":
        text = head.decode("utf-16-be", "ignore")
    else:
        return b"<!DOCTYPE" in head or b"<!ENTITY" in head
    return "<!DOCTYPE" in text or "<!ENTITY" in text


def _dimension_first(head):
    # openpyxl reads a sheet up to its <dimension>, or all of it if it has none.
    dimension = DIMENSION_TAG.search(head)
    data = SHEET_DATA_TAG.search(head)
    return bool(dimension) and (data is None or dimension.start() < data.start())


def _first_sheet(archive, parts):
    """The first worksheet and the shared strings, found as openpyxl finds them; and the
    parts openpyxl parses whole, checked for size before it does."""
    from openpyxl.packaging.manifest import Manifest  # noqa: PLC0415
    from openpyxl.reader.excel import _find_workbook_part  # noqa: PLC0415
    from openpyxl.reader.workbook import WorkbookParser  # noqa: PLC0415
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS  # noqa: PLC0415
    from openpyxl.xml.functions import fromstring  # noqa: PLC0415

    whole = [name for name in parts if name == ARC_CONTENT_TYPES or _read_whole_by_name(name)]
    _check_whole_parts(parts, whole)
    package = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    workbook_part = _find_workbook_part(package).PartName[1:]
    if workbook_part not in parts:
        raise _damaged()
    whole.append(workbook_part)
    _check_whole_parts(parts, whole)
    parser = WorkbookParser(archive, workbook_part, keep_links=False)
    parser.parse()
    sheets = []
    for _sheet, rel in parser.find_sheets():
        if rel.target not in parts:
            continue
        if "chartsheet" in rel.Type:
            whole.append(rel.target)
        else:
            sheets.append(rel.target)
    if not sheets:
        raise FileProblem(_("The workbook has no worksheet to read."))
    # Each other sheet is read at least up to its dimension, and whole if it has none.
    whole.extend(name for name in sheets[1:] if not parts[name].has_dimension)
    _check_whole_parts(parts, whole)
    strings = package.find(SHARED_STRINGS)
    return sheets[0], strings.PartName[1:] if strings is not None else None


def _read_whole_by_name(name):
    from openpyxl.xml.constants import ARC_CORE, ARC_CUSTOM, ARC_STYLE, ARC_THEME  # noqa: PLC0415

    folders = ("/chartsheets/", "/drawings/", "/charts/")
    return (
        name.lower().endswith(".rels")
        or name in (ARC_CORE, ARC_CUSTOM, ARC_STYLE, ARC_THEME)
        or any(f in name for f in folders)
    )


def _check_whole_parts(parts, names):
    size = sum(parts[name].size for name in names)
    if size > XLSX_MAX_WHOLE_PARTS_BYTES:
        raise FileProblem(
            _(
                "Besides its first sheet, the workbook holds %(size)s of parts that have to be read whole "
                "(formatting, charts, sheets that do not state their size); at most %(limit)s can be read. Copy the "
                "data into a new workbook, or save it as CSV, and try again."
            )
            % {"size": filesizeformat(size), "limit": filesizeformat(XLSX_MAX_WHOLE_PARTS_BYTES)}
        )


class _Scan:
    """What a scan of the first sheet found: cells and elements, and the last row with a value."""

    def __init__(self):
        self.cells = 0
        self.elements = 0
        self.last_row = 0


@functools.cache
def _tags(prefix):
    """The tags a scan looks for, with the namespace prefix the part uses (usually none)."""
    name = re.escape(prefix)
    return (
        re.compile(rb"<(/?)" + name + rb"row(?=[\s/>])([^>]*)>"),
        re.compile(rb"<" + name + rb"c[\s/>]"),
        re.compile(rb"<" + name + rb"si[\s/>]"),
        (b"<" + prefix + b"v", b"<" + prefix + b"is"),
    )


def _xml_pieces(data, part, limits, where):
    """The XML of a part in pieces that each end just before a "<", so that no tag is cut,
    and the namespace prefix of its root element; refuses text longer than a cell may hold
    (`where()` says where it is) before holding it."""
    rest, prefix = b"", None
    for piece in _unpacked(data, part.info):
        piece = rest + piece
        if prefix is None:
            root = ROOT_TAG.search(piece)
            if root is None:
                if len(piece) < XLSX_HEAD:
                    rest = piece
                    continue
                # Real parts start with their root element; past their head, a scan could
                # not tell their tags.
                raise _damaged()
            prefix = root.group(1) or b""
        cut = piece.rfind(b"<")
        if cut < 0:
            rest = piece
        else:
            rest = piece[cut:]
            yield prefix, piece[:cut]
        if len(rest) > limits.xlsx_text_bytes:
            raise where()
    if prefix is None:
        raise _damaged()  # not XML, or not a sheet
    yield prefix, rest


def _scan_sheet(data, part, limits):
    """Counts the first sheet's rows, cells and elements from its bytes, without parsing
    it, and stops at the first limit: openpyxl builds each row whole before handing it
    over, so one row of a million cells would be in memory before it could be refused."""
    scan = _Scan()
    max_cells = (limits.rows + 1) * limits.columns
    max_row_cells = XLSX_CELLS_PER_COLUMN * limits.columns
    max_row_elements = XLSX_ELEMENTS_PER_COLUMN * limits.columns
    number, rows_seen, in_row, row_cells, row_elements, row_values = 0, 0, False, 0, 0, False

    def text_too_long():
        return FileProblem(
            _("Row %(row)s holds a cell of more than %(limit)s characters; a cell may hold at most %(limit)s.")
            % {"row": _n(number), "limit": _n(limits.cell_chars)},
            row=number,
        )

    def close_row():
        if row_values:
            scan.last_row = number
            if number > limits.rows + 1:
                raise FileProblem(
                    _(
                        "The sheet has cells down to row %(row)s; at most %(limit)s rows of data can be read. "
                        "Delete the rows below the data, or split the file, and try again."
                    )
                    % {"row": _n(number), "limit": _n(limits.rows)},
                    row=number,
                )

    for prefix, piece in _xml_pieces(data, part, limits, text_too_long):
        row_tag, cell_tag, _string_tag, value_tags = _tags(prefix)
        position = 0
        for match in chain(row_tag.finditer(piece), [None]):
            end = match.start() if match else len(piece)
            elements = piece.count(b"<", position, end) - piece.count(b"</", position, end)
            scan.elements += elements
            if in_row and end > position:
                cells = len(cell_tag.findall(piece, position, end))
                scan.cells += cells
                row_cells += cells
                row_elements += elements
                row_values = row_values or any(piece.find(tag, position, end) >= 0 for tag in value_tags)
                if row_cells > max_row_cells:
                    raise FileProblem(
                        _(
                            "Row %(row)s has more than %(cells)s cells, filled or formatted; at most %(limit)s columns "
                            "can be read. Clear the cells to the right of the data and try again."
                        )
                        % {"row": _n(number), "cells": _n(max_row_cells), "limit": _n(limits.columns)},
                        row=number,
                    )
                if row_elements > max_row_elements:
                    raise _too_much_markup(row=number)
            if scan.cells > max_cells:
                raise FileProblem(
                    _(
                        "The sheet has more than %(limit)s cells, filled or formatted, more than can be read. "
                        "Split it into smaller files."
                    )
                    % {"limit": _n(max_cells)}
                )
            if scan.elements > XLSX_ELEMENTS_PER_CELL * scan.cells + XLSX_SPARE_ELEMENTS:
                raise _too_much_markup()
            if match is None:
                break
            position = match.end()
            if match.group(1):
                close_row()
                in_row = False
                continue
            rows_seen += 1
            if rows_seen > limits.rows + 1:
                raise FileProblem(
                    _(
                        "The sheet has more than %(limit)s rows of data, counting rows that are only formatted. "
                        "Split it into smaller files."
                    )
                    % {"limit": _n(limits.rows)}
                )
            found = ROW_NUMBER.search(match.group(2))
            number = int(found.group(1)) if found else number + 1
            if number > EXCEL_MAX_ROWS:
                raise _damaged()
            in_row, row_cells, row_elements, row_values = True, 0, 1, False
            if match.group(2).endswith(b"/"):
                close_row()
                in_row = False
    return scan


def _scan_strings(data, part, scan, limits):
    """Counts the shared strings (the text of every sheet, all read before the first row)
    and their elements: openpyxl reads every one of them, at some 30 µs each."""
    strings, elements, string_elements = 0, 0, 0
    max_string_elements = XLSX_ELEMENTS_PER_COLUMN * limits.columns

    def text_too_long():
        return FileProblem(
            _("The workbook holds a text of more than %(limit)s characters; a cell may hold at most %(limit)s.")
            % {"limit": _n(limits.cell_chars)}
        )

    for prefix, piece in _xml_pieces(data, part, limits, text_too_long):
        string_tag = _tags(prefix)[2]
        position = 0
        for match in chain(string_tag.finditer(piece), [None]):
            end = match.start() if match else len(piece)
            found = piece.count(b"<", position, end) - piece.count(b"</", position, end)
            elements += found
            string_elements += found
            if string_elements > max_string_elements:
                raise _too_much_markup()
            if match:
                strings += 1
                string_elements = 0
                position = end
        if strings > scan.cells + XLSX_SPARE_STRINGS:
            raise FileProblem(
                _(
                    "The workbook holds more than %(count)s texts, far more than its first sheet, the one that is "
                    "read, can use. Save that sheet in a workbook of its own, or as CSV, and try again."
                )
                % {"count": _n(scan.cells + XLSX_SPARE_STRINGS)}
            )
        if scan.elements + elements > XLSX_ELEMENTS_PER_CELL * scan.cells + XLSX_SPARE_ELEMENTS:
            raise _too_much_markup()


def _too_much_markup(row=None):
    return FileProblem(
        _(
            "The workbook holds far more XML markup than its cells need, which no real workbook does. Copy the data "
            "into a new workbook, or save it as CSV, and try again."
        ),
        row=row,
    )


def _xlsx_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Rows a writer gathers before it hands on a piece of the file.
ROWS_PER_PIECE = 500


def csv_pieces(headers, rows):
    """The canonical export, as pieces of bytes while the rows come: comma-delimited
    UTF-8 with a byte-order mark for Excel, CRLF, formula cells neutralised. The header
    comes at once, before the first row is read."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")

    def written(row):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        return buffer.getvalue()

    yield UTF8_BOM + written(headers).encode("utf-8")
    for piece in _pieces(rows):
        lines = [_csv_line(row) or written([neutralise(value) for value in row]) for row in piece]
        yield "".join(lines).encode("utf-8")


def _csv_line(row):
    """The line of a row of text, its cells neutralised, as csv.writer writes it (the
    excel dialect's minimal quoting: a cell holding a comma, a quote or a line break
    between quotes, its quotes doubled) in half its time; None for a row the csv module
    writes in its own way, with a cell that is not text, or a single empty cell.
    tests/foreignpolicy/test_exports.py holds the two to the same bytes."""
    try:
        cells = [NEUTRALISER + cell if cell[:1] in NEUTRALISED_STARTS else cell for cell in row]
        line = ",".join(
            [
                '"' + cell.replace('"', '""') + '"'
                if '"' in cell or "," in cell or "\n" in cell or "\r" in cell
                else cell
                for cell in cells
            ]
        )
    except TypeError:  # a number, None, a date
        return None
    return None if line == "" and len(cells) == 1 else line + "\r\n"


def write_csv(dataset):
    """The whole CSV file of a small table (a tablib Dataset), at once."""
    return b"".join(csv_pieces(dataset.headers, dataset))


def json_pieces(headers, rows):
    """The rows as a JSON list of objects, header to cell, as pieces of bytes: exactly
    what json.dumps(rows, ensure_ascii=False, indent=1) writes, without holding the list."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    keys = [f"  {encode(header)}: " for header in headers]
    yield b"["
    first = True
    for piece in _pieces(rows):
        objects = (
            " {\n" + ",\n".join(key + encode(value) for key, value in zip(keys, row, strict=True)) + "\n }"
            for row in piece
        )
        yield ((",\n" if not first else "\n") + ",\n".join(objects)).encode("utf-8")
        first = False
    yield b"]" if first else b"\n]"


def write_xlsx(headers, rows, output):
    """The same columns as an Excel workbook of one sheet, every cell as text, written to
    the binary file `output`. openpyxl's write-only workbook keeps the rows in a temporary
    file, not in memory, and packs the workbook at the end."""
    from openpyxl import Workbook  # noqa: PLC0415 - only Excel files need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(list(headers))
    for row in rows:
        sheet.append([_xlsx_text(value) for value in row])
    workbook.save(output)


def _pieces(rows):
    rows = iter(rows)
    while piece := list(islice(rows, ROWS_PER_PIECE)):
        yield piece


def _xlsx_text(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    # Characters XML cannot hold would make Excel refuse the whole file.
    return ILLEGAL_CHARACTERS_RE.sub("", neutralise("" if value is None else str(value)))
