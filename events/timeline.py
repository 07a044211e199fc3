"""The timeline: events, and the milestones of agreements (signed, entered into force,
ended) and their other steps (a ratification, a round of negotiations) among them, so that
nobody enters a milestone twice; an event that is a milestone or a step stands for it."""

from dataclasses import dataclass
from itertools import groupby

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement, Step, StepKind
from foreignpolicy.filters import taking_part
from foreignpolicy.partial_dates import PartialDate, Precision

from .models import Event, EventType

MILESTONES = [
    ("signed", _("Agreement signed")),
    ("in_force", _("Agreement entered into force")),
    ("ended", _("Agreement ended")),
]
SIGNING_TYPE = "agreement-signing"
# The position of the agreements' other steps (Step.objects.on_timeline()) in the UNION.
STEPS = len(MILESTONES) + 1


@dataclass
class Entry:
    when: PartialDate
    title: str
    url: str
    label: str
    is_milestone: bool
    record: object

    @property
    def month(self):
        return month_of(self.when.start, self.when.precision)


def month_of(day, precision):
    """The heading an entry goes under: its month, or None for the year as a whole."""
    return None if precision == Precision.YEAR else day.replace(day=1)


def milestone_agreements(filters):
    """The public agreements whose milestones the filtered timeline shows."""
    agreements = Agreement.objects.public().order_by()
    if not milestone_kinds(filters):
        return agreements.none()
    if filters.get("q"):
        agreements = agreements.search(filters["q"])
    if filters.get("party"):
        agreements = taking_part(agreements, filters["party"])
    # Each of these matches at most one row per agreement, so no DISTINCT is needed.
    if filters.get("directorate"):
        agreements = agreements.filter(directorate=filters["directorate"])
    if filters.get("agreement"):
        agreements = agreements.filter(pk=filters["agreement"].pk)
    if filters.get("topic"):
        agreements = agreements.filter(topics=filters["topic"])
    return agreements


def milestone_kinds(filters):
    """(position, kind, label) of the milestones the filtered timeline shows."""
    event_type = filters.get("type")
    kinds = [(position, kind, label) for position, (kind, label) in enumerate(MILESTONES, start=1)]
    if event_type:
        return kinds[:1] if event_type.slug == SIGNING_TYPE else []
    return kinds


def in_range(field, filters):
    """The conditions the filters' dates (from, until) set on a date field."""
    conditions = {}
    if filters.get("date_from"):
        conditions[f"{field}__gte"] = filters["date_from"]
    if filters.get("date_to"):
        conditions[f"{field}__lte"] = filters["date_to"]
    return conditions


def timeline_steps(filters):
    """The steps of the filtered timeline's agreements that it shows beside their milestones;
    none when the timeline is filtered by a type of event."""
    if filters.get("type"):
        return Step.objects.order_by().none()
    return Step.objects.on_timeline().filter(agreement__in=milestone_agreements(filters).values("pk")).order_by()


def milestone_years(filters):
    agreements = milestone_agreements(filters)
    years = {day.year for day in timeline_steps(filters).filter(**in_range("date", filters)).dates("date", "year")}
    for _position, kind, _label in milestone_kinds(filters):
        field = f"{kind}_on"
        # dates() clears the default ordering, which would otherwise enter the DISTINCT.
        years |= {day.year for day in agreements.filter(**in_range(field, filters)).dates(field, "year")}
    return years


def precision_rank(field):
    # Within a period, what is known only to the year or month comes after the dated.
    return Case(
        When(**{field: Precision.YEAR}, then=Value(0)),
        When(**{field: Precision.MONTH}, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


class YearEntries:
    """A year's events and milestones, newest first, as a sequence a Paginator can page:
    counted once, and each page read with one query over all of them (a UNION of the
    events and each kind of milestone) and two that load that page's records only."""

    def __init__(self, events, filters, year):
        self.events = events.filter(date__year=year).order_by()
        self.agreements = milestone_agreements(filters)
        self.kinds = milestone_kinds(filters)
        self.steps = timeline_steps(filters)
        self.filters = filters
        self.year = year
        # The months of the entries just before and after the page read last; NOWHERE
        # when there are none (None is the heading of the year as a whole).
        self.before = self.after = NOWHERE

    def milestones_in_year(self, field):
        return self.agreements.filter(self.in_year(field))

    def in_year(self, field):
        """The condition on an agreement for its milestone `field` to be an entry of the year:
        in the year and the filters' dates, and not told by an event on the timeline."""
        return Q(**{f"{field}__year": self.year}, **in_range(field, self.filters)) & ~Q(self.told_by_event(field))

    def steps_in_year(self):
        return self.steps.filter(
            Q(date__year=self.year, **in_range("date", self.filters)) & ~Q(self.told_by_event("date", "agreement"))
        )

    def told_by_event(self, field, agreement="pk"):
        """An event of the timeline linked to the agreement, on the milestone's (or step's)
        date, is that milestone (a signing, say): shown once, with the event's text."""
        # The timeline's events as one uncorrelated subquery (worked out once), and the link
        # table probed by its index for each agreement: correlating the filtered events
        # themselves ran their filters once per agreement (bench/public_pages.py).
        return Exists(
            Event.agreements.through.objects.filter(
                agreement=OuterRef(agreement),
                event__in=self.events.values("pk"),
                event__date=OuterRef(field),
                event__date_precision=OuterRef(f"{field}_precision"),
            )
        )

    def by_label(self):
        """{label: count} of the year's entries: events by type, milestones by kind."""
        if not hasattr(self, "_by_label"):
            counts = dict(self.events.values_list("type").annotate(count=Count("pk")).order_by())
            types = EventType.objects.in_bulk(counts)
            by_label = {types[pk].name: count for pk, count in counts.items()}
            if self.kinds:
                in_year = Q()
                for _position, kind, _label in self.kinds:
                    in_year |= Q(**{f"{kind}_on__year": self.year})
                milestones = self.agreements.filter(in_year).aggregate(
                    **{kind: Count("pk", filter=self.in_year(f"{kind}_on")) for _position, kind, _label in self.kinds}
                )
                by_label.update({label: milestones[kind] for _position, kind, label in self.kinds if milestones[kind]})
            steps = dict(self.steps_in_year().values_list("kind").annotate(count=Count("pk")).order_by())
            if steps:
                kinds = StepKind.objects.in_bulk(steps)
                by_label.update({kinds[pk].name: count for pk, count in steps.items()})
            self._by_label = by_label
        return self._by_label

    def count(self):
        return sum(self.by_label().values())

    def rows(self):
        """(position, pk, day, precision rank) of every entry, in the timeline's order."""
        parts = [
            self.events.annotate(
                position=Value(0), key=F("pk"), day=F("date"), rank=precision_rank("date_precision")
            ).values_list("position", "key", "day", "rank")
        ]
        for position, kind, _label in self.kinds:
            field = f"{kind}_on"
            parts.append(
                self.milestones_in_year(field)
                .annotate(
                    position=Value(position), key=F("pk"), day=F(field), rank=precision_rank(f"{field}_precision")
                )
                .values_list("position", "key", "day", "rank")
            )
        parts.append(
            self.steps_in_year()
            .annotate(position=Value(STEPS), key=F("pk"), day=F("date"), rank=precision_rank("date_precision"))
            .values_list("position", "key", "day", "rank")
        )
        return parts[0].union(*parts[1:], all=True).order_by("-day", "-rank", "position", "key")

    def __getitem__(self, page):
        """The entries of a page (a slice), and as `before` and `after` the months of the
        entries just before and after it, to tell a month that goes on from one page to
        the next."""
        first = max(page.start - 1, 0)
        rows = list(self.rows()[first : page.stop + 1])
        if page.start > 0 and rows:
            self.before = month_of(rows[0][2], RANKED[rows[0][3]])
            rows = rows[1:]
        if len(rows) > page.stop - page.start:
            self.after = month_of(rows[-1][2], RANKED[rows[-1][3]])
            rows = rows[:-1]
        return self.entries(rows)

    def entries(self, rows):
        events = Event.objects.public().for_timeline().in_bulk([pk for position, pk, *_ in rows if not position])
        steps = Step.objects.for_page().in_bulk([pk for position, pk, *_ in rows if position == STEPS])
        milestones = [pk for position, pk, *_ in rows if position and position != STEPS]
        agreements = (
            Agreement.objects.public()
            .for_timeline()
            .in_bulk([*milestones, *(step.agreement_id for step in steps.values())])
        )
        entries = []
        for position, pk, _day, _rank in rows:
            if position == STEPS:
                step = steps.get(pk)
                record = agreements.get(step.agreement_id) if step else None
                if record is not None:
                    entries.append(
                        Entry(step.when, record.title, record.get_absolute_url(), step.kind.name, True, record)
                    )
                continue
            record = (agreements if position else events).get(pk)
            if record is None:  # unpublished or deleted since the page was counted
                continue
            if position:
                kind, label = MILESTONES[position - 1]
                entries.append(
                    Entry(getattr(record, kind), record.title, record.get_absolute_url(), label, True, record)
                )
            else:
                entries.append(
                    Entry(record.when, record.title, record.get_absolute_url(), record.type.name, False, record)
                )
        return entries


NOWHERE = object()

# A precision rank (see precision_rank) back to its precision, for month_of.
RANKED = {0: Precision.YEAR, 1: Precision.MONTH, 2: Precision.DAY}


def by_month(entries):
    """(month start or None for the year as a whole, entries), in the entries' order."""
    return [(month, list(group)) for month, group in groupby(entries, key=lambda entry: entry.month)]
