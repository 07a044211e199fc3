"""Stage 1, read: the header and the rows of a dataset, and the slug each row names."""

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from difflib import get_close_matches

from django.db import models
from django.utils.translation import gettext as _
from import_export.results import RowResult

from ..models import slug_from_titles
from .problems import Problem

NEW, UPDATE, SKIP = RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_SKIP
# A column of the file, not of the record: the slug of the record a row renames.
PREVIOUS_SLUG = "previous_slug"


class Nothing(Mapping):
    """An empty mapping no one can fill: the default of a row's mappings, shared by every
    row until a stage gives a row its own (a file may hold 200,000 rows, most of them
    unchanged, which never need their own)."""

    __hash__ = object.__hash__  # dataclasses take hashable defaults only

    def __getitem__(self, key):
        raise KeyError(key)

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


NOTHING = Nothing()


@dataclass(slots=True)  # no __dict__ each
class PlannedRow:
    number: int  # the spreadsheet's row number
    cells: dict  # column name → the text of the cell, for the columns the file has
    slug: str = ""
    renames: str = ""  # the slug of the record the row renames (previous_slug)
    values: Mapping = NOTHING  # column name → what the cell means
    failed: AbstractSet = frozenset()  # columns whose cell could not be read
    stored: object = None  # the record the row updates, as read (diffing.StoredRecord)
    made: models.Model | None = None  # the record the row writes, once needed
    pending: Mapping = NOTHING  # foreign key → PendingRecord saved by another row
    before: Mapping = NOTHING  # column name → the record's value before, rendered
    read_at: object = None  # the record's updated_at when the plan read it
    changes: Sequence = ()  # (column, before, after), rendered
    understood: Sequence = ()  # (column, "", what a new row's cell means)
    after: Mapping = NOTHING  # column name → the value once written, rendered
    action: str = NEW

    @property
    def instance(self):
        """The record: a new one, or the stored one made an instance when first asked for
        (a row that changes nothing may never need it)."""
        if self.made is None and self.stored is not None:
            self.made = self.stored.instance()
        return self.made

    @instance.setter
    def instance(self, record):
        self.made = record

    @property
    def is_published(self):
        if self.made is None and self.stored is not None:
            return self.stored.get("is_published")
        return self.made.is_published


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
    positions = [names.index(name) for name in present]  # a column named twice is refused before
    rows = []
    for number, values in enumerate(dataset, start=2):
        cells = [text(values[position]) if position < len(values) else "" for position in positions]
        if any(map(str.strip, cells)):
            rows.append(PlannedRow(number, dict(zip(present, cells, strict=True))))
    return rows


def text(cell):
    return cell if type(cell) is str else "" if cell is None else str(cell)


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
