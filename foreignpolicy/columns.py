"""The columns of the public CSV format: how each cell is read and written.

Every widget reads a cell in `clean` (raising ValueError with a message for the user)
and writes the canonical form in `render`. Widgets that name other records look them up
in bulk: `prepare` receives the whole column before any row is read.
"""

import re
from itertools import chain

from django.utils.translation import gettext as _
from import_export import fields, widgets

from .partial_dates import parse_partial_date
from .tabular import FORMULA_STARTS, NEUTRALISER, restore
from .text import normalise

LIST_SEPARATOR = ";"
QUERY_CHUNK = 2000


def chunked(values, size=QUERY_CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


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


class CellWidget(widgets.Widget):
    def prepare(self, values, plan):
        """Load whatever the column's values name, in a few queries for the whole file."""

    def clean(self, value, row=None, **kwargs):
        return str(value if value is not None else "").strip()

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


HTML_TAG = re.compile(r"<\s*/?\s*[a-z][a-z0-9]*(\s[^<>]*)?/?\s*>", re.IGNORECASE)
RUNNABLE = re.compile(r"<\s*(script|iframe|object|embed|style)\b|\son[a-z]+\s*=|javascript\s*:", re.IGNORECASE)


class TextWidget(CellWidget):
    """Text as written. Nothing that could run gets in: no spreadsheet formula (a leading
    apostrophe marks one meant as text, as the exports write it), no HTML in plain text,
    and no script in Markdown."""

    def __init__(self, markdown=False):
        super().__init__()
        self.markdown = markdown

    def clean(self, value, row=None, **kwargs):
        raw = "" if value is None else str(value)
        if raw.startswith(NEUTRALISER):
            return restore(raw)
        text = super().clean(raw)
        if looks_like_formula(raw.lstrip(" ")):
            raise ValueError(
                _(
                    "“%(value)s” starts like a spreadsheet formula. If it is meant as text, begin the cell with an "
                    "apostrophe (')."
                )
                % {"value": shorten(text)}
            )
        if self.markdown and RUNNABLE.search(text):
            raise ValueError(_("The text holds a script, an event handler or a javascript: link; remove it."))
        if not self.markdown and HTML_TAG.search(text):
            raise ValueError(
                _("The text holds HTML (“%(tag)s”); write plain text, which is shown exactly as typed.")
                % {"tag": HTML_TAG.search(text).group(0)}
            )
        return text


def looks_like_formula(text):
    # "- " starts a Markdown list item, which no spreadsheet runs.
    return text.startswith(FORMULA_STARTS) and not text.startswith("- ")


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


class PartialDateWidget(CellWidget):
    def clean(self, value, row=None, **kwargs):
        text = super().clean(value)
        return parse_partial_date(text) if text else None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class Lookup:
    """Names → entries of one or more vocabularies, tried tier by tier, ignoring case,
    accents and punctuation. A name two entries of the same tier share is ambiguous."""

    AMBIGUOUS = object()

    def __init__(self, tiers):
        self.tiers = []
        for entries, keys in tiers:
            index = {}
            for entry in entries:
                for key in {normalise(k) for k in keys(entry) if k}:
                    index[key] = entry if index.get(key, entry) is entry else self.AMBIGUOUS
            self.tiers.append(index)

    def get(self, name):
        key = normalise(name)
        for index in self.tiers:
            if key in index:
                return index[key]
        return None


class VocabularyWidget(CellWidget):
    """A value of one or more vocabularies: matched by code, slug, English or Spanish
    name or acronym; written as the entry's canonical key."""

    def __init__(self, *models, label, many=False):
        super().__init__()
        self.models = models
        self.label = label
        self.many = many
        self.lookup = None

    def tiers(self):
        return [(model.objects.all(), lambda entry: entry.lookup_keys()) for model in self.models]

    def prepare(self, values, plan):
        self.lookup = Lookup(self.tiers())

    def clean(self, value, row=None, **kwargs):
        names = split_list(value) if self.many else [super().clean(value)]
        found, unknown, ambiguous = [], [], []
        for name in filter(None, names):
            entry = self.lookup.get(name)
            if entry is None:
                unknown.append(name)
            elif entry is Lookup.AMBIGUOUS:
                ambiguous.append(name)
            elif entry not in found:
                found.append(entry)
        messages = []
        if unknown:
            messages.append(_("not a known %(label)s: %(names)s.") % {"label": self.label, "names": quoted(unknown)})
        if ambiguous:
            messages.append(
                _("%(names)s could mean more than one %(label)s; use the code.")
                % {"label": self.label, "names": quoted(ambiguous)}
            )
        if messages:
            raise ValueError(capitalise(" ".join(messages)))
        return found if self.many else (found[0] if found else None)

    def render(self, value, obj=None, **kwargs):
        if self.many:
            return LIST_SEPARATOR.join(entry.export_key for entry in sort_entries(value or []))
        return value.export_key if value else ""


class PartiesWidget(VocabularyWidget):
    """Countries and organisations in one list. An ISO alpha-2 code is always the country;
    organisations come next, so that "CAN" is the Andean Community rather than Canada's
    alpha-3 code; then alpha-3 codes and country names."""

    def __init__(self, countries, organisations, label):
        super().__init__(countries, organisations, label=label, many=True)

    def tiers(self):
        country_model, organisation_model = self.models
        countries = list(country_model.objects.all())
        return [
            (countries, lambda country: [country.code]),
            (organisation_model.objects.all(), lambda organisation: organisation.lookup_keys()),
            (countries, lambda country: country.lookup_keys()),
        ]


def sort_entries(entries):
    return sorted(entries, key=lambda entry: (entry._meta.model_name != "country", entry.export_key.casefold()))


class PendingRecord:
    """A record another row of the same file creates: known by slug until it is saved."""

    def __init__(self, slug):
        self.slug = slug
        self.pk = None

    def __eq__(self, other):
        return isinstance(other, PendingRecord) and other.slug == self.slug

    def __hash__(self):
        return hash(self.slug)


class RecordWidget(CellWidget):
    """Other records named by slug (or acronym), in the database or in the same file."""

    def __init__(self, model, label, many=False, by_acronym=False):
        super().__init__()
        self.model = model
        self.label = label
        self.many = many
        self.by_acronym = by_acronym
        self.by_key = {}
        self.file_slugs = set()

    def prepare(self, values, plan):
        wanted = {normalise(name) for value in values for name in self.names(value)}
        if plan.model is self.model:
            self.file_slugs = set(plan.slugs)
        records = self.model.objects.all()
        if not self.by_acronym:
            records = chain.from_iterable(
                self.model.objects.filter(slug__in=chunk) for chunk in chunked(split_slugs(values))
            )
        self.by_key = {}
        for record in records:
            for key in (record.slug, getattr(record, "acronym", "") if self.by_acronym else ""):
                if key and normalise(key) in wanted:
                    self.by_key.setdefault(normalise(key), record)

    def names(self, value):
        return split_list(value) if self.many else [str(value or "").strip()]

    def clean(self, value, row=None, **kwargs):
        found, unknown = [], []
        for name in filter(None, self.names(value)):
            record = self.by_key.get(normalise(name))
            if record is None and name.lower() in self.file_slugs:
                record = PendingRecord(name.lower())
            if record is None:
                unknown.append(name)
            elif record not in found:
                found.append(record)
        if unknown:
            raise ValueError(
                capitalise(
                    _("no %(label)s with the slug %(names)s, in the database or in this file.")
                    % {"label": self.label, "names": quoted(unknown)}
                )
            )
        return found if self.many else (found[0] if found else None)

    def render(self, value, obj=None, **kwargs):
        if self.many:
            return LIST_SEPARATOR.join(sorted(record.slug for record in value or []))
        return value.slug if value else ""


def split_slugs(values):
    return {name.lower() for value in values for name in split_list(value)}


def quoted(names):
    return ", ".join(_("“%(value)s”") % {"value": name} for name in names)


def capitalise(text):
    return text[:1].upper() + text[1:]
