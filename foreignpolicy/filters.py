"""Filters the agreements and events lists share."""

from functools import partial

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Country, Organisation


class SearchFilter(django_filters.CharFilter):
    def __init__(self, **kwargs):
        super().__init__(label=_("Words"), method=lambda queryset, name, value: queryset.search(value), **kwargs)


class PartyFilter(django_filters.ChoiceFilter):
    """A country (ISO code, upper case) or an organisation (slug, lower case) taking part.

    `related` is the name by which countries and organisations reach the filtered model;
    `country_fields` are the model's fields that hold countries.
    """

    def __init__(self, related, country_fields=("countries",), **kwargs):
        self.related = related
        self.country_fields = country_fields
        super().__init__(label=_("Country or organisation"), method=self.filter_party, **kwargs)

    @property
    def field(self):
        # Each FilterSet has its own copy of the filter, so each form gets fresh choices;
        # the form's copies of the field and widget share them (see LazyChoices).
        if not hasattr(self, "_field"):
            self.extra["choices"] = LazyChoices(partial(party_choices, self.related))
        return super().field

    def filter_party(self, queryset, name, value):
        if value.isupper():
            condition = Q()
            for field in self.country_fields:
                condition |= Q(**{f"{field}__code": value})
            return queryset.filter(condition).distinct()
        return queryset.filter(organisations__slug=value).distinct()


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
    records = {f"{related}__in": Country._meta.get_field(related).related_model.objects.public().values("pk")}
    countries = Country.objects.filter(**records).distinct()
    organisations = Organisation.objects.filter(**records).distinct()
    return [
        (_("Countries"), sorted(((country.code, country.name) for country in countries), key=lambda c: c[1])),
        (_("Organisations"), sorted(((o.slug, str(o)) for o in organisations), key=lambda o: o[1])),
    ]


def year_input():
    return forms.NumberInput(attrs={"min": 1800, "max": 2100, "inputmode": "numeric"})
