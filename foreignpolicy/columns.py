"""The columns of the public CSV format: how each cell is read and written.

Every widget reads a cell in `clean` (raising ValueError with a message for the user),
writes the canonical form in `render` and says what it understood in `describe`. Widgets
that name other entries look them up in bulk: `prepare` receives the whole column, and a
small LookupContext, before any row is read.

An export reads values, not model instances: `export_reader` says which values of the
export's query a column's cells are written from (for a many-to-many column, the keys of
its links, which a subquery lists), and writes each cell with the widget's `render`.
"""

import functools
import re
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from django.db import connection, models
from django.db.models import F, Func, OuterRef, Q, Subquery, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from import_export import fields, widgets

from .imports.lookups import Lookup, PendingRecord
from .partial_dates import Precision, parse_partial_date
from .tabular import NEUTRALISER, restore
from .text import markup_in, normalise

LIST_SEPARATOR = ";"
QUERY_CHUNK = 2000
# The distinct cells of a column an export keeps, written, for the rows that repeat them.
CELLS_KEPT = 10_000
# Between the keys of a record's links, as a subquery lists them (linked_keys): no slug,
# code or number holds it.
KEY_SEPARATOR = "\x1f"


def among(queryset, field, values):
    """`queryset` filtered to the rows whose `field` is one of `values`, in chunks (the
    rows of one held at a time; SQLite bounds a query's parameters). On PostgreSQL each
    chunk's values go as one array parameter: with a parameter for each value, Django
    prepares them one by one (7% of a re-import's time at 100,000 rows)."""
    values = list(values)
    postgresql = connection.vendor == "postgresql"
    for start in range(0, len(values), QUERY_CHUNK):
        chunk = values[start : start + QUERY_CHUNK]
        yield queryset.filter(AnyOf(F(field), chunk) if postgresql else Q(**{f"{field}__in": chunk}))


class AnyOf(models.Lookup):
    """`field = ANY(values)`, the values one array parameter (PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, self.rhs]


def split_list(value):
    return [item.strip() for item in str(value or "").split(LIST_SEPARATOR) if item.strip()]


class Column(fields.Field):
    """One column of the format. `relations` names the many-to-many relations the
    column fills (a `parties` cell fills both `countries` and `organisations`)."""

    def __init__(self, name, widget=None, attribute=None, relations=()):
        self.relations = tuple(relations)
        super().__init__(
            attribute=None if self.relations else (attribute or name),
            column_name=name,
            widget=widget or TextWidget(),
        )

    def get_value(self, obj):
        if self.relations:
            return list(chain.from_iterable(getattr(obj, name).all() for name in self.relations))
        return super().get_value(obj)

    def export_reader(self, model, public):
        """How an export of `model` writes this column (see CellReader). `public`: links
        reach only what the public may see."""
        return self.widget.export_reader(model, self.attribute, self.relations, public)


@dataclass
class CellReader:
    """How an export writes a column's cells from database values rather than instances:
    `lookups` is what the export's query selects for the column, and the cell is then
    `write(*values)`."""

    write: Callable
    lookups: tuple = ()


class KeyList(Func):
    """The values of `expression` in the rows of a subquery, as one text with KEY_SEPARATOR
    between them (None when there are none): STRING_AGG on PostgreSQL, GROUP_CONCAT on
    SQLite. An aggregate, declared as a plain function so that Django adds no GROUP BY to
    the subquery, which PostgreSQL then runs some 30% faster (bench/export.py)."""

    function = "STRING_AGG"
    output_field = TextField()

    def __init__(self, expression):
        super().__init__(Cast(expression, TextField()), Value(KEY_SEPARATOR))

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def linked_keys(model, relation, key, within=None):
    """For an export's query: the `key` of each entry a record links to through the
    many-to-many `relation`, listed in one text (KeyList) by a subquery on the through
    table. `within`, a queryset of the linked model, keeps the links to its entries only.

    One query for all the records, with their links: reading the links chunk by chunk, a
    query for each, took some 40% of an export's time."""
    field = model._meta.get_field(relation)
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    links = field.remote_field.through.objects.filter(**{source: OuterRef("pk")})
    if within is not None:
        links = links.filter(**{f"{target}__in": within})
    return Subquery(links.order_by().values(keys=KeyList(f"{target}__{key}")))


def split_keys(listed):
    return listed.split(KEY_SEPARATOR) if listed else []


class Entries(dict):
    """The entries of a vocabulary an export writes, by key (the text of their pk): all of
    them read in one query when the first is needed, in the vocabulary's order. One made
    since is read on its own; one deleted since is None."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.rank = None

    def __missing__(self, key):
        if self.rank is None:
            self.rank = {}
            for entry in self.model.objects.order_by(*self.model._meta.ordering, "pk"):
                self.rank[str(entry.pk)] = len(self.rank)
                self[str(entry.pk)] = entry
            if key in self:
                return self[key]
        entry = self[key] = self.model.objects.filter(pk=key).first()
        self.rank[key] = len(self.rank)
        return entry

    def listed(self, listed):
        """The entries a text of keys (linked_keys) names, in the vocabulary's order, as
        `record.relation.all()` gives them."""
        entries = [(self[key], key) for key in split_keys(listed)]
        return [entry for entry, key in sorted(entries, key=lambda pair: self.rank[pair[1]]) if entry is not None]


class CellWidget(widgets.Widget):
    # A file repeats this column's cells, so each distinct one is read once (CellMeanings).
    repeats = True
    stored_as_written = False
    parts = False  # the cell holds a record's parts (foreignpolicy.parts.PartsWidget)

    def assign(self, instance, attribute, value):
        """Set the cell's value on the record (checking.apply)."""
        setattr(instance, attribute, value)

    def shown(self, text):
        """A value written as render() writes it, as a preview shows it."""
        return text

    def derived_values(self, instance):
        """{column: cell} of the record's columns this column's value sets too (see assign)."""
        return {}

    def prepare(self, values, context):
        """Load whatever the column's values name, in a few queries for the whole file;
        `context` is a LookupContext."""

    def clean(self, value, row=None, **kwargs):
        return str(value if value is not None else "").strip()

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)

    def json_value(self, cell):
        """What the JSON download gives for an export's `cell` (docs/csv-format.md, "JSON"):
        the text, null for an empty cell."""
        return cell if cell != "" else None

    def describe(self, value):
        """The value as the preview shows what it understood of a new row."""
        return self.render(value)

    def links(self, relation, value, target):
        """What a many-to-many `relation` of the column links to, of the column's `value`:
        its entries of the relation's `target` model, or records the file creates."""
        return [item for item in value or [] if isinstance(item, (target, PendingRecord))]

    def from_links(self, linked):
        """The column's value from what its relations link to ([(relation, entries)])."""
        return [entry for _relation, entries in linked for entry in entries]

    def export_reader(self, model, attribute, relations, public):
        return CellReader(self.render, (attribute,))


RUNNABLE = re.compile(r"<\s*(script|iframe|object|embed|style)\b|\son[a-z]+\s*=|javascript\s*:", re.IGNORECASE)


# A restore takes text as the site stored it, even text from before these rules, which
# every page escapes or sanitises: a backup that cannot be restored is no backup.
restoring_stored_text = ContextVar("restoring_stored_text", default=False)


@contextmanager
def taking_stored_text():
    """Text cells read as a backup stored them, without the rules for new text."""
    token = restoring_stored_text.set(True)
    try:
        yield
    finally:
        restoring_stored_text.reset(token)


class TextWidget(CellWidget):
    """Text as written. Nothing that could run gets in: no spreadsheet formula (a leading
    apostrophe marks one meant as text, as the exports write it), no HTML in plain text,
    and no script in Markdown."""

    repeats = False  # titles and summaries differ from row to row
    stored_as_written = True  # a cell holding exactly the stored text means that text

    def __init__(self, markdown=False):
        super().__init__()
        self.markdown = markdown

    def clean(self, value, row=None, **kwargs):
        raw = "" if value is None else str(value)
        # A formula marked as text is text, and is checked for HTML like any other.
        text = restore(raw) if raw.startswith(NEUTRALISER) else self.not_formula(raw)
        if not restoring_stored_text.get() and (problem := self.markup_problem(text)):
            raise ValueError(problem)
        return text

    def markup_problem(self, text):
        """What is wrong with `text` as new text of this column, or None: the rule the
        admin's forms apply too."""
        if self.markdown:
            if RUNNABLE.search(text):
                return _("The text holds a script, an event handler or a javascript: link; remove it.")
        elif markup := markup_in(text):
            return _(
                "The text holds HTML (“%(tag)s”); write plain text, which is shown exactly as typed. A “<” "
                "right before a letter, “/”, “!” or “?” starts a tag: put a space after it, or write «…» as "
                "quotation marks."
            ) % {"tag": shorten(" ".join(markup.split()))}
        return None

    def not_formula(self, raw):
        text = super().clean(raw)
        if looks_like_formula(raw):
            raise ValueError(
                _(
                    "“%(value)s” starts like a spreadsheet formula. If it is meant as text, begin the cell with an "
                    "apostrophe (')."
                )
                % {"value": shorten(text)}
            )
        return text


# What a spreadsheet runs after a leading "+", "-" or "@": a function call ("SUM(",
# "HYPERLINK("), a cell or range reference ("A1", "$B$2", "A1:B9", "Sheet1!A1"), or a link
# to another program ("cmd|…", DDE); or, later on, a function call right after an operator
# ("-2+HYPERLINK(…"). A name followed by a space and "(" is prose: "GDP (2020)".
_FUNCTION = r"[A-Za-z_][\w.]*\("
_REFERENCE = r"\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?(?![\w(])"
RUNS_AFTER_A_SIGN = re.compile(
    rf"\s*(?:{_FUNCTION}|{_REFERENCE}|(?:'[^']+'|[\w.]+)!|[\w.]+\|)|.*[-+*/^&=<>(,;]\s*{_FUNCTION}", re.DOTALL
)


def looks_like_formula(text):
    """Whether a spreadsheet would run the cell as a formula that computes from cells or
    calls a function: whatever starts with "=", and what starts with "+", "-" or "@" and
    goes on as a formula does. "+51 1 204 2400", "-2 percent" and "- a list item" are
    text, kept as typed (the exports still neutralise them)."""
    text = text.lstrip(" \t\r\n")
    if text.startswith("="):
        return True
    return text.startswith(("+", "-", "@")) and RUNS_AFTER_A_SIGN.match(text, 1) is not None


def shorten(text, length=40):
    return text if len(text) <= length else text[: length - 1] + "…"


class PositionWidget(CellWidget):
    def clean(self, value, row=None, **kwargs):
        text = super().clean(value)
        if not text:
            return 0
        if not text.isdigit():
            raise ValueError(_("“%(value)s” is not a whole number of 0 or more.") % {"value": text})
        return int(text)

    def json_value(self, cell):
        return int(cell) if cell else 0


class NumberWidget(CellWidget):
    """An optional whole number above 0, such as a register's number for a record. The
    register's own way of writing it is read too: "ACE 58", "ACE N° 58" for 58."""

    def __init__(self, prefix=""):
        super().__init__()
        self.prefix = prefix
        self.written = re.compile(
            rf"^(?:{re.escape(prefix)}[\s-]*)?(?:(?:N\.?\s*[°º]|No\.?|Nro\.?)\s*)?(\d+)$", re.IGNORECASE
        )

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value)
        if not text:
            return None
        match = self.written.match(text)
        if not match or int(match[1]) == 0:
            raise ValueError(
                _("“%(value)s” is not a whole number above 0; write it as %(example)s.")
                % {
                    "value": shorten(text),
                    "example": _("%(prefix)s 58 or 58") % {"prefix": self.prefix} if self.prefix else "58",
                }
            )
        return int(match[1])

    def json_value(self, cell):
        return int(cell) if cell else None


class ChoiceWidget(CellWidget):
    """One of a field's choices, by its value or its English or Spanish label; written as its value."""

    def __init__(self, choices):
        super().__init__()
        self.choices = choices

    def prepare(self, values, context):
        self.by_name = {}
        for value, label in self.choices.choices:
            for language in ("en", "es"):
                with translation.override(language):
                    self.by_name[normalise(str(label))] = value
            self.by_name[normalise(value)] = value

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value)
        if not text:
            return ""
        try:
            return self.by_name[normalise(text)]
        except KeyError:
            raise ValueError(
                _("“%(text)s” is not one of %(values)s.") % {"text": text, "values": quoted(self.choices.values)}
            ) from None

    def describe(self, value):
        return str(self.choices(value).label) if value else ""


class PublishedWidget(CellWidget):
    # VERDADERO and FALSO are what a Spanish Excel writes for TRUE and FALSE.
    YES = {"yes", "si", "true", "verdadero", "1", "y", "s"}
    NO = {"no", "false", "falso", "0", "n", ""}

    def clean(self, value, row=None, **kwargs):
        text = normalise(super().clean(value))
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(_("“%(value)s” is not yes or no (sí/no, true/false and 1/0 also work).") % {"value": value})

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"

    def json_value(self, cell):
        return cell == "yes"

    def describe(self, value):
        return _("published") if value else _("draft")


class MomentWidget(CellWidget):
    """A date and time with its time zone, in ISO 8601 (2027-01-15T09:00-05:00, or ending
    in Z for UTC); written back in Lima time, to the minute."""

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value)
        if not text:
            return None
        example = "2027-01-15T09:00-05:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            message = _("“%(value)s” is not a date and time; write it as %(example)s.")
            raise ValueError(message % {"value": text, "example": example}) from None
        if moment.tzinfo is None:
            message = _("“%(value)s” gives no time zone; add it, as in %(example)s (Lima is -05:00).")
            raise ValueError(message % {"value": text, "example": example})
        return moment

    def render(self, value, obj=None, **kwargs):
        return timezone.localtime(value).isoformat(timespec="minutes") if value else ""


class PartialDateWidget(CellWidget):
    def clean(self, value, row=None, **kwargs):
        text = super().clean(value)
        return parse_partial_date(text) if text else None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""

    def export_reader(self, model, attribute, relations, public):
        stored = getattr(model, attribute)  # the PartialDateAttribute

        @functools.lru_cache(maxsize=CELLS_KEPT)
        def write(start, precision):
            return self.render(stored.of(start, precision))

        return CellReader(write, (stored.date_field, stored.precision_field))

    def describe(self, value):
        if not value:
            return ""
        return _("%(date)s (known to the %(precision)s)") % {
            "date": value.isoformat(),
            "precision": Precision(value.precision).label,
        }


def canonical_key(entry):
    """The key that names an entry for certain: its slug, or its code."""
    return getattr(entry, "slug", None) or entry.pk


class VocabularyWidget(CellWidget):
    """A value of one or more vocabularies: matched by code or slug first, then by English
    or Spanish name or acronym; written as the entry's canonical key."""

    def __init__(self, *models, label, many=False):
        super().__init__()
        self.models = models
        self.label = label
        self.many = many
        self.lookup = None

    def json_value(self, cell):
        return split_list(cell) if self.many else super().json_value(cell)

    def tiers(self):
        entries = [entry for model in self.models for entry in model.objects.all()]
        return [
            [(canonical_key(entry), entry) for entry in entries],
            [(spelling, entry) for entry in entries for spelling in entry.lookup_keys()],
        ]

    def prepare(self, values, context):
        self.lookup = Lookup(self.tiers())

    def clean(self, value, row=None, **kwargs):
        names = split_list(value) if self.many else [super().clean(value)]
        found, unknown, ambiguous = [], [], []
        for name in filter(None, names):
            entries = self.lookup.find(name)
            if not entries:
                unknown.append(name)
            elif len(entries) > 1:
                ambiguous.append((name, entries))
            elif entries[0] not in found:
                found.append(entries[0])
        messages = []
        if unknown:
            messages.append(_("not a known %(label)s: %(names)s.") % {"label": self.label, "names": quoted(unknown)})
        messages.extend(ambiguity(name, entries, self.key) for name, entries in ambiguous)
        if messages:
            raise ValueError(capitalise(" ".join(messages)))
        return found if self.many else (found[0] if found else None)

    @staticmethod
    def key(entry):
        return canonical_key(entry)

    def render(self, value, obj=None, **kwargs):
        if self.many:
            return LIST_SEPARATOR.join(entry.export_key for entry in sort_entries(value or []))
        return value.export_key if value else ""

    def describe(self, value):
        entries = sort_entries(value or []) if self.many else [value] if value else []
        return f"{LIST_SEPARATOR} ".join(f"{entry} ({entry.export_key})" for entry in entries)

    def export_reader(self, model, attribute, relations, public):
        # The query selects the entries' keys: a foreign key, or the keys each relation's
        # links list (linked_keys). The entries are read once per export, and each distinct
        # cell is written once, by the entries' export_key, as the import names them.
        if not self.many:
            field = model._meta.get_field(attribute)
            entries = Entries(field.related_model)

            @functools.cache  # as many as the vocabulary has entries
            def write(pk):
                return self.render(None if pk is None else entries[str(pk)])

            return CellReader(write, (field.attname,))
        known = [Entries(model._meta.get_field(relation).related_model) for relation in relations]

        @functools.lru_cache(maxsize=CELLS_KEPT)
        def write(*listed):
            linked = zip(known, listed, strict=True)
            return self.render([entry for entries, keys in linked for entry in entries.listed(keys)])

        return CellReader(write, tuple(linked_keys(model, relation, "pk") for relation in relations))


def ambiguity(name, entries, key):
    return _("“%(name)s” could mean %(candidates)s; write the one you mean by its code.") % {
        "name": name,
        "candidates": _(" or ").join(f"{entry} ({key(entry)})" for entry in entries),
    }


class PartiesWidget(VocabularyWidget):
    """Countries and organisations in one list. Codes come first: an ISO alpha-2 code is
    the country, an organisation's slug the organisation; then organisations' acronyms and
    names, so that "CAN" is the Andean Community rather than Canada's alpha-3 code; then
    alpha-3 codes and country names."""

    def __init__(self, countries, organisations, label, many=True):
        super().__init__(countries, organisations, label=label, many=many)

    def tiers(self):
        country_model, organisation_model = self.models
        countries = list(country_model.objects.all())
        organisations = list(organisation_model.objects.all())
        return [
            [(entry.code, entry) for entry in countries] + [(entry.slug, entry) for entry in organisations],
            [(spelling, entry) for entry in organisations for spelling in entry.lookup_keys()],
            [(spelling, entry) for entry in countries for spelling in entry.lookup_keys()],
        ]


def sort_entries(entries):
    return sorted(entries, key=lambda entry: (entry._meta.model_name != "country", entry.export_key.casefold()))


class RecordWidget(CellWidget):
    """Other records, named by slug or (for directorates) acronym, in the database or in
    the same file. A slug always wins; an acronym is matched as it will be once the file
    is imported (a row of the file may give a record its acronym, or take it away)."""

    def __init__(self, model, label, many=False, by_acronym=False):
        super().__init__()
        self.model = model
        self.label = label
        self.many = many
        self.by_acronym = by_acronym
        self.lookup = None

    def json_value(self, cell):
        return split_list(cell) if self.many else super().json_value(cell)

    def prepare(self, values, context):
        in_file = context.rows_of(self.model)
        if self.by_acronym:
            records = list(self.model.objects.all())
        else:
            wanted = split_slugs(values)
            records = [r for chunk in among(self.model.objects.all(), "slug", wanted) for r in chunk]
        by_slug = {record.slug: record for record in records}
        saved = {slug: by_slug.get(slug) or PendingRecord(slug, row.number) for slug, row in in_file.items()}
        tiers = [list(by_slug.items()) + list(saved.items())]
        if self.by_acronym:
            tiers.append(
                [
                    (r.acronym, r)
                    for slug, r in by_slug.items()
                    if slug not in in_file or "acronym" not in in_file[slug].cells
                ]
                + [(row.cells["acronym"], saved[slug]) for slug, row in in_file.items() if "acronym" in row.cells]
            )
        self.lookup = Lookup(tiers)

    def names(self, value):
        return split_list(value) if self.many else [str(value or "").strip()]

    def clean(self, value, row=None, **kwargs):
        found, unknown, ambiguous = [], [], []
        for name in filter(None, self.names(value)):
            records = self.lookup.find(name)
            if not records:
                unknown.append(name)
            elif len(records) > 1:
                ambiguous.append((name, records))
            elif records[0] not in found:
                found.append(records[0])
        messages = []
        if unknown:
            messages.append(
                _("no %(label)s with the slug %(names)s, in the database or in this file.")
                % {"label": self.label, "names": quoted(unknown)}
            )
        messages.extend(ambiguity(name, records, lambda record: record.slug) for name, records in ambiguous)
        if messages:
            raise ValueError(capitalise(" ".join(messages)))
        return found if self.many else (found[0] if found else None)

    def render(self, value, obj=None, **kwargs):
        if self.many:
            return LIST_SEPARATOR.join(sorted(record.slug for record in value or []))
        return value.slug if value else ""

    def describe(self, value):
        records = value or [] if self.many else [value] if value else []
        return LIST_SEPARATOR.join(f"{record} ({record.slug})" for record in records)

    def export_reader(self, model, attribute, relations, public):
        # The public sees links to published records only: the one rule, published().
        visible = self.model.objects.published() if public else None
        if not self.many:
            slug = f"{attribute}__slug"
            if public:
                attname = model._meta.get_field(attribute).attname
                slug = Subquery(visible.filter(pk=OuterRef(attname)).order_by().values("slug")[:1])
            return CellReader(lambda value: value or "", (slug,))

        @functools.lru_cache(maxsize=CELLS_KEPT)
        def write(*listed):
            return LIST_SEPARATOR.join(sorted(slug for slugs in listed for slug in split_keys(slugs)))

        return CellReader(write, tuple(linked_keys(model, relation, "slug", within=visible) for relation in relations))


def split_slugs(values):
    return {name.lower() for value in values for name in split_list(value)}


def quoted(names):
    return ", ".join(_("“%(value)s”") % {"value": name} for name in names)


def capitalise(text):
    return text[:1].upper() + text[1:]
