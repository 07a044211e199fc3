"""Reading spreadsheet files as staff save them, and writing the canonical CSV."""

import csv
import io

import tablib
from django.utils.translation import gettext as _

UTF8_BOM = b"\xef\xbb\xbf"
DELIMITERS = ",;\t"


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says why in plain words."""


def decode(data):
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
        if len(row) < len(header) and any(cell.strip() for cell in row) or any(cell.strip() for cell in extra):
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
    writer.writerows(dataset)
    return UTF8_BOM + buffer.getvalue().encode("utf-8")
