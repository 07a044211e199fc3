"""Filters the agreements and events lists share."""

from datetime import date

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField, ModelChoiceIterator

from .models import Country, Organisation, is_slug
from .search import SEARCH_MAX_LENGTH
from .text import normalise

# The years a date can have: Python's dates, and so the dates Django reads from either
# database, run from 1 to 9999. A year outside them cannot be compared with a date at all.
FIRST_YEAR, LAST_YEAR = date.min.year, date.max.year


class SearchFilter(django_filters.CharFilter):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Words"),
            method=lambda queryset, name, value: queryset.search(value),
            max_length=SEARCH_MAX_LENGTH,
            **kwargs,
        )


def by_name(choices):
    """Choices in the alphabetical order of their names in the reader's language, accents
    and case aside ("Ámbito" among the A's)."""
    return sorted(choices, key=lambda choice: normalise(choice[1]))


class AlphabeticalChoiceIterator(ModelChoiceIterator):
    def __iter__(self):
        choices = super().__iter__()
        if self.field.empty_label is not None:
            yield next(choices)
        yield from by_name(choices)


class AlphabeticalModelChoiceField(ModelChoiceField):
    iterator = AlphabeticalChoiceIterator


class ChoiceOfFilter(django_filters.ModelChoiceFilter):
    """One entry of a list (a type, a topic, a directorate) by its slug, offered under
    `empty_label` ("All types") and alphabetically, or in `queryset`'s own order when
    that order means something (`alphabetical=False`: statuses go from negotiation to end)."""

    def __init__(self, *, empty_label, alphabetical=True, to_field_name="slug", **kwargs):
        super().__init__(empty_label=empty_label, to_field_name=to_field_name, **kwargs)
        if alphabetical:
            self.field_class = AlphabeticalModelChoiceField


class PartyFilter(django_filters.ChoiceFilter):
    """A country (ISO code, upper case) or an organisation (slug, lower case) taking part.

    `related` is the name by which countries and organisations reach the filtered model;
    `country_fields` are the model's fields that hold countries.
    """

    def __init__(self, related, country_fields=("countries",), **kwargs):
        self.related = related
        self.country_fields = country_fields
        kwargs.setdefault("label", _("Country or organisation"))
        kwargs.setdefault("empty_label", _("All countries and organisations"))
        super().__init__(method=self.filter_party, **kwargs)

    @property
    def field(self):
        # Each FilterSet has its own copy of the filter, so each form gets fresh choices;
        # the form's copies of the field and widget share them (see LazyChoices).
        if not hasattr(self, "_field"):
            self.extra["choices"] = LazyChoices(self.choices)
        return super().field

    def choices(self):
        return party_choices(self.related)

    def filter_party(self, queryset, name, value):
        return taking_part(queryset, value, self.country_fields)


def taking_part(queryset, party, country_fields=("countries",)):
    """The records `party` takes part in: a country (ISO code, upper case) through any of
    `country_fields`, or an organisation (slug, lower case)."""
    # Subqueries rather than joins: a join through a many-to-many field repeats rows, and
    # the DISTINCT that removes them sorts every wide row of the list.
    records = queryset.model.objects
    if party.isupper():
        condition = Q()
        for field in country_fields:
            condition |= Q(pk__in=records.filter(**{f"{field}__code": party}).values("pk"))
        return queryset.filter(condition)
    return queryset.filter(pk__in=records.filter(organisations__slug=party).values("pk"))


class LazyChoices:
    """Choices read from the database when a form first needs them, once per form."""

    def __init__(self, load):
        self.load = load
        self.loaded = None

    def __deepcopy__(self, memo):
        # A form deep-copies its fields and widgets; the copies share one load.
        return self

    def choices(self):
        if self.loaded is None:
            self.loaded = list(self.load())
        return self.loaded

    def __iter__(self):
        return iter(self.choices())

    def __len__(self):
        return len(self.choices())


def party_choices(related):
    """The countries and organisations that take part in a public record."""
    records = Country._meta.get_field(related).related_model.objects.public()
    # EXISTS, not a join and DISTINCT: each party stops at its first public record.
    countries = Country.objects.filter(Exists(records.filter(countries=OuterRef("pk")))).order_by()
    organisations = Organisation.objects.filter(Exists(records.filter(organisations=OuterRef("pk")))).order_by()
    return grouped_parties(countries, organisations)


def grouped_parties(countries, organisations):
    """The choices of a party: countries, then organisations, each by name."""
    return [
        (_("Countries"), by_name((country.code, country.name) for country in countries)),
        (_("Organisations"), by_name((organisation.slug, str(organisation)) for organisation in organisations)),
    ]


def validate_year(value):
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise ValidationError(
            _("Enter a year from %(first)s to %(last)s."), code="year", params={"first": FIRST_YEAR, "last": LAST_YEAR}
        )


class YearField(forms.IntegerField):
    """A whole year a date can have (FIRST_YEAR to LAST_YEAR)."""

    default_validators = [validate_year]


class YearFilter(django_filters.Filter):
    """Records whose date `field_name` falls in a year, before it or after it (lookup_expr)."""

    field_class = YearField

    def __init__(self, **kwargs):
        super().__init__(widget=forms.NumberInput(attrs={"min": 1800, "max": 2100, "inputmode": "numeric"}), **kwargs)


class RecordSlugField(forms.CharField):
    """A record named by its slug, typed in: a list of every record as options would grow
    with the records. Only a record of `queryset` is valid; any other slug, a draft's
    included, gets the same answer. The record chosen is kept as `chosen`, for the form
    to name it."""

    default_error_messages = {"unknown": _("No published record has this slug.")}

    def __init__(self, queryset, **kwargs):
        self.queryset = queryset
        self.chosen = None
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value).strip()
        if value in self.empty_values:
            return None
        record = self.queryset.filter(slug=value).first() if is_slug(self.queryset.model, value) else None
        if record is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        self.chosen = record
        return record

    def prepare_value(self, value):
        return getattr(value, "slug", value)


class RecordSlugFilter(django_filters.Filter):
    """Records linked to one record, named by its slug (see RecordSlugField)."""

    field_class = RecordSlugField
