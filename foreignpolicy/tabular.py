"""Reading spreadsheet files as staff save them, and writing the canonical export.

CSV and Excel (.xlsx) go through the same checks. Cells a spreadsheet would run as a
formula are neutralised on the way out and restored on the way in, so that exporting and
importing again gives the same text.
"""

import codecs
import csv
import io
import zipfile
from datetime import date, datetime

import tablib
from django.utils.translation import gettext as _

UTF8_BOM = b"\xef\xbb\xbf"
DELIMITERS = ",;\t"
# A spreadsheet runs a cell that starts with one of these as a formula. A line feed is
# there too because an .xlsx file (XML) turns a leading carriage return into one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
NEUTRALISER = "'"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says why in plain words."""


def neutralise(value):
    """Prefix a quote to text a spreadsheet would run (and to text already starting with
    one), so that it shows as typed."""
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, NEUTRALISER)):
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


def read_table(data, filename):
    """A Dataset from the bytes of a .csv or .xlsx file, chosen by the file's extension."""
    if str(filename).lower().endswith(".xlsx"):
        return read_xlsx(data)
    return read_csv(data)


def decode(data):
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" (tab-delimited UTF-16).
        return data.decode("utf-16")
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    if b"\x00" in data[:4096]:
        raise FileProblem(_("This is not a text file (it looks like a binary file). Save it as CSV and try again."))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV" in the ANSI code page, Windows-1252 for Spanish.
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise FileProblem(
            _(
                "The file is neither UTF-8 nor Windows-1252 text (byte %(position)d cannot be read). "
                "Save it as “CSV UTF-8” and try again."
            )
            % {"position": error.start + 1}
        ) from error


def sniff_delimiter(text):
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_csv(data):
    """Parse CSV bytes into a Dataset whose first row is the header.

    Rows keep their place (blank rows included), so that row N of the dataset is row
    N + 2 of the spreadsheet the user sees.
    """
    text = decode(data)
    if not text.strip():
        raise FileProblem(_("The file is empty."))
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))
    except csv.Error as error:
        raise FileProblem(_("The file is not valid CSV: %(reason)s.") % {"reason": error}) from error
    return _dataset(rows)


def read_xlsx(data):
    """The first sheet of an Excel workbook, its first row the header."""
    from openpyxl import load_workbook  # noqa: PLC0415 - only Excel files need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileProblem(_("This is not an Excel .xlsx file, or it is damaged. Save it again from Excel.")) from error
    try:
        sheet = workbook.worksheets[0]
        rows = [[_xlsx_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise FileProblem(_("The file is empty."))
    return _dataset(rows)


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


def _dataset(rows):
    header = [cell.strip().lstrip("\ufeff") for cell in rows[0]]
    while header and not header[-1]:
        header.pop()
    body = rows[1:]
    while body and not any(cell.strip() for cell in body[-1]):
        body.pop()
    if not body:
        raise FileProblem(_("The file has a header row but no rows of data."))
    dataset = tablib.Dataset(headers=header)
    ragged = []
    for number, row in enumerate(body, start=2):
        extra = row[len(header) :]
        if (len(row) < len(header) and any(cell.strip() for cell in row)) or any(cell.strip() for cell in extra):
            ragged.append((number, len(row)))
        dataset.append((row + [""] * len(header))[: len(header)])
    if ragged:
        raise FileProblem(
            " ".join(
                _("Row %(row)d has %(cells)d cells but the header has %(columns)d columns.")
                % {"row": number, "cells": cells, "columns": len(header)}
                for number, cells in ragged
            )
        )
    return dataset


def write_csv(dataset):
    """The canonical export: comma-delimited UTF-8 with a byte-order mark for Excel."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(dataset.headers)
    writer.writerows([neutralise(value) for value in row] for row in dataset)
    return UTF8_BOM + buffer.getvalue().encode("utf-8")


def write_xlsx(dataset):
    """The same columns as an Excel workbook of one sheet, every cell as text."""
    from openpyxl import Workbook  # noqa: PLC0415 - only Excel files need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(dataset.title or "data")
    sheet.append(list(dataset.headers))
    for row in dataset:
        sheet.append([_xlsx_text(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_text(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    # Characters XML cannot hold would make Excel refuse the whole file.
    return ILLEGAL_CHARACTERS_RE.sub("", neutralise("" if value is None else str(value)))
