"""Stage 1, read: the header and the rows of a dataset, and the slug each row names."""

from dataclasses import dataclass, field
from difflib import get_close_matches

from django.db import models
from django.utils.translation import gettext as _
from import_export.results import RowResult

from ..models import slug_from_titles
from .problems import Problem

NEW, UPDATE, SKIP = RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_SKIP
# A column of the file, not of the record: the slug of the record a row renames.
PREVIOUS_SLUG = "previous_slug"


@dataclass(slots=True)  # a file may hold 200,000 rows: no __dict__ each
class PlannedRow:
    number: int  # the spreadsheet's row number
    cells: dict  # column name → the text of the cell, for the columns the file has
    slug: str = ""
    renames: str = ""  # the slug of the record the row renames (previous_slug)
    values: dict = field(default_factory=dict)  # column name → what the cell means
    failed: set = field(default_factory=set)  # columns whose cell could not be read
    instance: models.Model | None = None
    pending: dict = field(default_factory=dict)  # foreign key → PendingRecord saved by another row
    before: dict = field(default_factory=dict)  # column name → the record's value before, rendered
    read_at: object = None  # the record's updated_at when the plan read it
    changes: list = field(default_factory=list)  # (column, before, after), rendered
    understood: list = field(default_factory=list)  # (column, "", what a new row's cell means)
    after: dict = field(default_factory=dict)  # column name → the value once written, rendered
    action: str = NEW


def header_name(header):
    return str(header or "").strip().lstrip("\ufeff").lower()


def read_header(headers, columns, title_columns):
    """(the file's column names in order, the known ones, problems)."""
    names = [header_name(header) for header in headers or []]
    present, problems = [], []
    for position, name in enumerate(names, start=1):
        if name in present:
            problems.append(Problem(0, name, _("the column appears twice; keep one.")))
        elif name in columns:
            present.append(name)
        elif not name:
            problems.append(
                Problem(0, "", _("Column %(position)d has no name in the header row.") % {"position": position})
            )
        else:
            known = get_close_matches(name, columns, n=1)
            hint = _(" Did you mean “%(name)s”?") % {"name": known[0]} if known else ""
            problems.append(Problem(0, name, _("not a column of this format.") + hint))
    if "slug" not in present and not set(title_columns) & set(present):
        problems.append(
            Problem(
                0,
                "",
                _("The file needs a slug column or a %(titles)s column to know which records it describes.")
                % {"titles": _(" or ").join(title_columns)},
            )
        )
    return names, present, problems


def read_rows(dataset, names, present):
    """The rows that hold anything, each with the cells of the known columns."""
    rows = []
    for number, values in enumerate(dataset, start=2):
        cells = {}
        for name, value in zip(names, values, strict=False):
            cells.setdefault(name, "" if value is None else str(value))
        if any(value.strip() for value in cells.values()):
            rows.append(PlannedRow(number, {name: cells.get(name, "") for name in present}))
    return rows


def assign_slugs(rows, model, title_columns):
    """Give each row the slug it names (or the one its title makes); problems for slugs
    that stand on two rows."""
    problems, first_row = [], {}
    for row in rows:
        row.slug = row.cells.get("slug", "").strip().lower() or slug_from_titles(
            model, [row.cells.get(name, "") for name in title_columns]
        )
        row.renames = row.cells.get(PREVIOUS_SLUG, "").strip().lower()
        if row.renames == row.slug:
            row.renames = ""
        if not row.slug:
            continue
        if row.slug in first_row:
            problems.append(
                Problem(
                    row.number,
                    "slug",
                    _("“%(slug)s” is also the slug of row %(row)d; each record may appear once.")
                    % {"slug": row.slug, "row": first_row[row.slug]},
                )
            )
        else:
            first_row[row.slug] = row.number
    return problems
