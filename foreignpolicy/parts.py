"""The parts of a record (an agreement's steps, its participants): a file of their own,
a line per part, imported through the one pipeline as a change to the records they
belong to.

A parts file's lines are read and checked one by one (each problem names its line and
column), then gathered by record into one planned row per record, whose parts column holds
the record's whole list of parts in a canonical text (PartsWidget): preview, confirmation,
revisions, undo and the page cache are then the records' own. A file gives the whole
list of parts of each record it names; records it does not name keep theirs."""

import json
from dataclasses import dataclass
from itertools import groupby

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .columns import CellWidget, among
from .importing import RecordResource
from .imports.lookups import LookupContext
from .imports.problems import Problem
from .imports.reading import PlannedRow, header_name, read_header, text
from .imports.resolving import CellMeanings
from .partial_dates import PartialDateAttribute

REQUIRED = gettext_lazy("A value is required here.")


@dataclass(frozen=True)
class LineColumn:
    """A column of a parts file: its widget, the part's attribute it fills, and the part's
    fields whose problems it shows (the attribute's own by default)."""

    name: str
    widget: CellWidget
    attribute: str
    fields: tuple = ()


class PartsWidget(CellWidget):
    """A record's parts as the pipeline holds them: one JSON list of the line's cells per
    part, a line each, sorted (`sort_key`), so that equal lists of parts read alike.
    `unique_by` names the columns no two parts of a record may share (all by default)."""

    repeats = False
    parts = True

    def __init__(self, part_model, parent_field, line_columns, sort_key=None, unique_by=None):
        super().__init__()
        self.part_model = part_model
        self.parent_field = parent_field
        self.line_columns = line_columns
        self.sort_key = sort_key or (lambda part, cells: cells)
        self.unique_by = unique_by or tuple(column.name for column in line_columns)
        self.meanings = []

    @property
    def names(self):
        return [column.name for column in self.line_columns]

    @property
    def derived_fields(self):
        """The record's fields its parts set (see assign)."""
        return ()

    def assign(self, instance, attribute, value):
        """The parts set nothing on the record itself, unless a subclass derives fields."""

    def prepare_lines(self, columns_cells, context):
        for column, cells in zip(self.line_columns, columns_cells, strict=True):
            column.widget.prepare(cells, context)
        self.meanings = [CellMeanings(column.widget) for column in self.line_columns]

    def prepare(self, values, context):
        lines = []
        for value in values:
            try:
                lines += self.lines_of(value)
            except ValueError:
                continue  # the cell's problem is told when it is read (clean)
        self.prepare_lines([list(cells) for cells in zip(*lines, strict=True)] or [[]] * len(self.names), context)

    def lines_of(self, value):
        lines = []
        for line in str(value or "").splitlines():
            try:
                cells = json.loads(line)
            except ValueError:
                cells = None
            if (
                not isinstance(cells, list)
                or len(cells) != len(self.names)
                or not all(isinstance(c, str) for c in cells)
            ):
                raise ValueError(_("“%(line)s” is not a part as a parts file writes it.") % {"line": line[:60]})
            lines.append(cells)
        return lines

    def read_line(self, cells):
        """The values of a line's cells; ValueError naming the column of a bad cell."""
        values = []
        for column, meaning, cell in zip(self.line_columns, self.meanings, cells, strict=True):
            try:
                values.append(meaning.clean(cell))
            except ValueError as error:
                raise ValueError(f"{column.name}: {error}") from None
        return tuple(values)

    def clean(self, value, row=None, **kwargs):
        return [self.read_line(cells) for cells in self.lines_of(value)]

    def cells(self, part):
        return [column.widget.render(value) for column, value in zip(self.line_columns, part, strict=True)]

    def render(self, value, obj=None, **kwargs):
        if isinstance(value, str):  # the stored parts, written already (stored_parts)
            return value
        written = sorted((self.sort_key(part, cells), cells) for part in value or [] if (cells := self.cells(part)))
        return "\n".join(json.dumps(cells, ensure_ascii=False) for _key, cells in written)

    def shown(self, text):
        return "\n".join(" · ".join(filter(None, cells)) for cells in self.lines_of(text))

    def make(self, parent_pk, part):
        made = self.part_model(**{self.parent_field.attname: parent_pk})
        for column, value in zip(self.line_columns, part, strict=True):
            setattr(made, column.attribute, value)
        return made

    @property
    def related_fields(self):
        """The part's foreign keys the line columns show, read with the parts."""
        names = [name for column in self.line_columns for name in column.fields or (column.attribute,)]
        return [name for name in names if self.is_foreign_key(name)]

    def stored_parts(self, pks):
        """{record pk: its parts, written as render() writes them} for the records `pks`."""
        parts = self.part_model.objects.select_related(*self.related_fields).order_by(self.parent_field.attname)
        written = {}
        for chunk in among(parts, self.parent_field.attname, pks):
            for pk, group in groupby(chunk, key=lambda part: getattr(part, self.parent_field.attname)):
                written[pk] = self.render([self.values_of(part) for part in group])
        return written

    def values_of(self, part):
        return tuple(getattr(part, column.attribute) for column in self.line_columns)

    def is_foreign_key(self, attribute):
        field = next((field for field in self.part_model._meta.fields if field.name == attribute), None)
        return field is not None and field.many_to_one

    def column_of(self, field_name):
        """The line column that shows a problem of the part's field `field_name`."""
        for column in self.line_columns:
            descriptor = getattr(self.part_model, column.attribute, None)
            fields = column.fields or (column.attribute,)
            if isinstance(descriptor, PartialDateAttribute):
                fields = (descriptor.date_field, descriptor.precision_field)
            if field_name in fields:
                return column.name
        return ""

    def line_problems(self, number, part):
        """The part model's own rules for the part of line `number`."""
        made = self.make(None, part)
        foreign_keys = [field for field in self.part_model._meta.fields if field.many_to_one]
        errors = {}
        for check in (lambda: made.clean_fields(exclude=[field.name for field in foreign_keys]), made.clean):
            try:
                check()
            except ValidationError as error:
                for name, messages in error.error_dict.items():
                    errors.setdefault(name, []).extend(messages)
        for field in foreign_keys:
            if field.name != self.parent_field.name and not field.null and getattr(made, field.attname) is None:
                errors.setdefault(field.name, []).append(ValidationError(REQUIRED, code="required"))
        return [
            Problem(
                number,
                self.column_of(name) if name != NON_FIELD_ERRORS else "",
                str(REQUIRED) if message.code in {"null", "blank"} else " ".join(message.messages),
            )
            for name, messages in errors.items()
            for message in messages
        ]


class PartsResource(RecordResource):
    """The import and export of a record kind's parts: the file's columns are the parent
    column (`parent_column`, the record's slug) and the parts widget's line columns; the
    plan's are the slug and the parts column (`parts_column`). A file in the plan's own
    form (slug, parts, published: an undo) is read as any record file."""

    parent_column = ""
    parts_column = ""
    updates_only = True  # a parts file names records; it never creates one
    keeps_publication = True  # nor publishes or withdraws one

    @classmethod
    def file_label(cls):
        return cls.fields[cls.parts_column].widget.part_model._meta.verbose_name_plural

    @property
    def parts_widget(self):
        return self.fields[self.parts_column].widget

    def file_columns(self):
        return [self.parent_column, *self.parts_widget.names]

    def file_note(self):
        return _(
            "A file of %(parts)s gives, for each %(record)s it names, its whole list: those not in the file are "
            "removed. The others keep theirs."
        ) % {"parts": self.file_label(), "record": self._meta.model._meta.verbose_name}

    def get_export_headers(self, *args, **kwargs):
        return self.file_columns()

    def json_values(self):
        return [CellWidget().json_value, *(column.widget.json_value for column in self.parts_widget.line_columns)]

    def is_line_file(self, headers):
        return self.parent_column in [header_name(header) for header in headers or []]

    def read_header(self, headers, known):
        if not self.is_line_file(headers):
            return super().read_header(headers, known)
        names, _present, problems = read_header(headers, self.file_columns(), (self.parent_column,))
        return names, ["slug", self.parts_column], problems

    def read_rows(self, dataset, names, present):
        if not self.is_line_file(dataset.headers):
            return super().read_rows(dataset, names, present)
        widget = self.parts_widget
        file_columns = self.file_columns()
        positions = {name: names.index(name) for name in file_columns if name in names}
        lines = []
        for number, values in enumerate(dataset, start=2):
            cells = [
                text(values[positions[name]]).strip() if positions.get(name, len(values)) < len(values) else ""
                for name in file_columns
            ]
            if any(cells):
                lines.append((number, cells[0].lower(), cells[1:]))
        widget.prepare_lines(
            [[line[2][i] for line in lines] for i in range(len(widget.names))], LookupContext(self._meta.model)
        )
        return gather(lines, widget, self.parent_column, self.parts_column)

    def column_for_field(self, field_name):
        # The record's own rules (its dates, as the parts set them) are the record's.
        return self.parent_column

    def export_rows(self, queryset=None, *, public=False, progress=None, keep_order=False):
        widget = self.parts_widget
        records = self.filter_export(self.get_queryset() if queryset is None else queryset)
        if public:
            records = records.published()
        parent = widget.parent_field.name
        parts = (
            widget.part_model.objects.filter(**{f"{parent}__in": records.order_by().values("pk")})
            .select_related(parent, *widget.related_fields)
            .order_by(f"{parent}__slug", "pk")
        )
        total = parts.count() if progress else None
        done = 0
        for slug, group in groupby(parts.iterator(chunk_size=2000), key=lambda part: getattr(part, parent).slug):
            for cells in widget.render([widget.values_of(part) for part in group]).splitlines():
                yield [slug, *json.loads(cells)]
                done += 1
            if progress:
                progress(done, max(total, done))


def gather(lines, widget, parent_column, parts_column):
    """(planned rows, problems): each line read and checked, then the lines of each record
    gathered into one row, numbered by the record's first line. A line naming the record
    and nothing else stands for a record without parts."""
    problems, rows, first_line, parts_of, seen = [], [], {}, {}, {}
    for number, slug, cells in lines:
        if not slug:
            problems.append(Problem(number, parent_column, _("Name the record by its slug.")))
            continue
        if slug not in first_line:
            first_line[slug] = number
            parts_of[slug] = []
        if not any(cells):
            continue
        try:
            part = widget.read_line(cells)
        except ValueError as error:
            column, _colon, message = str(error).partition(": ")
            problems.append(Problem(number, column, message))
            continue
        line_problems = widget.line_problems(number, part)
        problems += line_problems
        if line_problems:
            continue
        written = widget.cells(part)
        key = (slug, tuple(cell for name, cell in zip(widget.names, written, strict=True) if name in widget.unique_by))
        if key in seen:
            message = _("Line %(line)d gives this already for “%(slug)s”; each may appear once.")
            problems.append(Problem(number, widget.unique_by[0], message % {"line": seen[key], "slug": slug}))
            continue
        seen[key] = number
        parts_of[slug].append(part)
    for slug, number in first_line.items():
        rows.append(PlannedRow(number, {"slug": slug, parts_column: widget.render(parts_of[slug])}))
    return rows, problems
