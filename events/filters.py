import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from directorates.models import Directorate
from foreignpolicy.filters import ChoiceOfFilter, PartyFilter, RecordSlugFilter, SearchFilter
from foreignpolicy.models import Topic

from .models import Event, EventType


def date_input():
    return forms.DateInput(attrs={"type": "date"})


class EventFilter(django_filters.FilterSet):
    q = SearchFilter()
    date_from = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte", widget=date_input())
    date_to = django_filters.DateFilter(label=_("Until"), field_name="date", lookup_expr="lte", widget=date_input())
    type = ChoiceOfFilter(label=_("Type"), empty_label=_("All types"), queryset=EventType.objects.all())
    party = PartyFilter(related="events", country_fields=("countries", "country"))
    directorate = ChoiceOfFilter(
        label=_("Directorate"),
        empty_label=_("All directorates"),
        field_name="directorates",
        queryset=Directorate.objects.public(),
    )
    # Typed in, not chosen from a list: one option per agreement made the form grow with
    # the agreements (285,000 options at scale).
    agreement = RecordSlugFilter(
        label=_("Agreement"),
        field_name="agreements",
        queryset=Agreement.objects.public(),
        help_text=_("The agreement's slug: the last part of its page's address."),
        error_messages={"unknown": _("No published agreement has this slug.")},
    )
    topic = ChoiceOfFilter(
        label=_("Topic"), empty_label=_("All topics"), field_name="topics", queryset=Topic.objects.all()
    )

    class Meta:
        model = Event
        fields = []
