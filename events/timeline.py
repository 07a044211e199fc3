"""The timeline: events, and the milestones of agreements (signed, entered into force,
ended) among them, so that nobody enters a milestone twice."""

from dataclasses import dataclass
from itertools import groupby

from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from foreignpolicy.partial_dates import PartialDate, Precision

MILESTONES = [
    ("signed", _("Agreement signed")),
    ("in_force", _("Agreement entered into force")),
    ("ended", _("Agreement ended")),
]
SIGNING_TYPE = "agreement-signing"


@dataclass
class Entry:
    when: PartialDate
    title: str
    url: str
    label: str
    is_milestone: bool
    record: object

    @property
    def sort_key(self):
        # Within a period, what is known only to the year or month comes after the dated.
        precision_rank = {Precision.DAY: 2, Precision.MONTH: 1, Precision.YEAR: 0}[self.when.precision]
        return (self.when.start, precision_rank)


def milestone_agreements(filters):
    """The public agreements whose milestones the filtered timeline shows."""
    agreements = Agreement.objects.public()
    event_type = filters.get("type")
    if event_type and event_type.slug != SIGNING_TYPE:
        return agreements.none()
    if filters.get("q"):
        agreements = agreements.search(filters["q"])
    party = filters.get("party")
    if party:
        agreements = agreements.filter(
            **({"countries__code": party} if party.isupper() else {"organisations__slug": party})
        )
    if filters.get("directorate"):
        agreements = agreements.filter(directorate=filters["directorate"])
    if filters.get("agreement"):
        agreements = agreements.filter(pk=filters["agreement"].pk)
    if filters.get("topic"):
        agreements = agreements.filter(topics=filters["topic"])
    return agreements.distinct()


def milestone_kinds(filters):
    event_type = filters.get("type")
    return MILESTONES[:1] if event_type and event_type.slug == SIGNING_TYPE else MILESTONES


def in_range(day, filters):
    return not (
        (filters.get("date_from") and day < filters["date_from"])
        or (filters.get("date_to") and day > filters["date_to"])
    )


def milestone_years(filters):
    agreements = milestone_agreements(filters)
    years = set()
    for kind, _label in milestone_kinds(filters):
        field = f"{kind}_on"
        days = agreements.exclude(**{field: None}).values_list(field, flat=True).distinct()
        years |= {day.year for day in days if in_range(day, filters)}
    return years


def milestones_in_year(filters, year):
    agreements = milestone_agreements(filters)
    entries = []
    for kind, label in milestone_kinds(filters):
        field = f"{kind}_on"
        for agreement in agreements.filter(**{f"{field}__year": year}):
            when = getattr(agreement, kind)
            if in_range(when.start, filters):
                entries.append(Entry(when, agreement.title, agreement.get_absolute_url(), label, True, agreement))
    return entries


def events_as_entries(events):
    return [Entry(event.when, event.title, event.get_absolute_url(), event.type.name, False, event) for event in events]


def by_month(entries):
    """(month start or None for the year as a whole, entries) newest first."""
    ordered = sorted(entries, key=lambda entry: entry.sort_key, reverse=True)
    return [
        (month, list(group))
        for month, group in groupby(
            ordered, key=lambda e: None if e.when.precision == Precision.YEAR else e.when.start.replace(day=1)
        )
    ]
