from datetime import date, datetime, time

from django import forms
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from directorates.models import Directorate
from foreignpolicy.charts import bar_chart
from foreignpolicy.filters import YearField
from foreignpolicy.public import (
    DownloadView,
    FilteredMixin,
    PagedMixin,
    RecordDetailView,
    active_filters,
)
from foreignpolicy.text import ministry_name

from . import calendar, timeline
from .filters import EventFilter
from .models import Event
from .resources import EventResource

FEED_SIZE = 50
# Entries on a page of the timeline; a busy year has thousands.
TIMELINE_PAGE_SIZE = 100


class YearForm(forms.Form):
    year = YearField(label=gettext_lazy("Year"), required=False)


class TimelineView(PagedMixin, FilteredMixin, TemplateView):
    """Events and agreement milestones, one year at a time, grouped by month, newest first."""

    filterset_class = EventFilter
    template_name = "events/timeline.html"

    def base_queryset(self):
        return Event.objects.public()

    def get_year_form(self):
        if not hasattr(self, "_year_form"):
            self._year_form = YearForm(self.request.GET)
        return self._year_form

    def query_forms(self):
        return [*super().query_forms(), self.get_year_form()]

    def filters(self):
        filterset = self.get_filterset()
        return filterset.form.cleaned_data if filterset.is_bound else {}

    def get_context_data(self, **kwargs):
        # A query in error shows no year (see QueryFormsMixin).
        years = [] if self.query_errors() else self.years()
        year = self.chosen_year(years)
        entries, page, by_label = [], None, {}
        if year:
            year_entries = timeline.YearEntries(self.filtered_queryset(), self.filters(), year)
            by_label = year_entries.by_label()
            page = Paginator(year_entries, TIMELINE_PAGE_SIZE).get_page(self.page_number())
            entries = page.object_list
        months = timeline.by_month(entries)
        return super().get_context_data(
            filter=self.get_filterset(),
            active_filters=active_filters(self.get_filterset(), self.request),
            years=years,
            year=year,
            months=months,
            # Whether the first month began on the page before, and the last goes on after.
            continued=bool(months) and year_entries.before == months[0][0],
            continues=bool(months) and year_entries.after == months[-1][0],
            entry_count=sum(by_label.values()),
            page_obj=page,
            paginator=page.paginator if page else None,
            is_paginated=bool(page) and page.paginator.num_pages > 1,
            type_chart=bar_chart(sorted(by_label.items(), key=lambda item: (-item[1], str(item[0])))),
            **kwargs,
        )

    def years(self):
        return sorted(self.filtered_queryset().years() | timeline.milestone_years(self.filters()), reverse=True)

    def chosen_year(self, years):
        # A year without entries (as one typed in) shows the newest that has some.
        if not years:
            return None
        wanted = self.get_year_form().cleaned_data["year"]
        return wanted if wanted in years else years[0]


class EventDetailView(RecordDetailView):
    model = Event
    template_name = "events/detail.html"

    def get_context_data(self, **kwargs):
        directorates = self.object.directorates.all()
        carrying_on = Directorate.objects.published().carrying_on(directorates)
        return super().get_context_data(
            directorates=[(unit, carrying_on.get(unit.pk, [])) for unit in directorates], **kwargs
        )


class EventDownloadView(DownloadView):
    filterset_class = EventFilter
    resource_class = EventResource


class CalendarView(FilteredMixin, View):
    """An iCalendar feed of the upcoming events a filtered timeline selects."""

    filterset_class = EventFilter

    def base_queryset(self):
        # A calendar entry shows the event's own fields and its country, no other relation.
        return Event.objects.public().prefetch_related(None).select_related("country")

    def get(self, request):
        refusal = self.refusal()
        if refusal:
            return refusal
        events = self.filtered_queryset().upcoming(date.today()).order_by("date", "slug")
        body = calendar.render(events, request, name=_("Foreign policy of Peru: upcoming events"))
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="events.ics"'
        return response


class FeedQuery(FilteredMixin, View):
    """The Atom feed's filters: the timeline's, over the public events (no relation read)."""

    filterset_class = EventFilter

    def base_queryset(self):
        return Event.objects.public()


class PlainTextAtomFeed(Atom1Feed):
    """Atom whose summaries are text, as the records' summaries are: Django marks every
    summary as HTML, which a feed reader would render, running any tag a title or summary
    holds. (The order of an entry's elements carries no meaning in Atom.)"""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class EventFeed(Feed):
    """The latest events as Atom; the query string of a filtered timeline filters it."""

    feed_type = PlainTextAtomFeed

    def __call__(self, request, *args, **kwargs):
        # The timeline's filters, read as its downloads read them; kept on the request, not
        # on this feed, which every request shares.
        request.feed_query = query = FeedQuery(request=request)
        answer = query.renamed_redirect() or query.refusal()
        return answer or super().__call__(request, *args, **kwargs)

    def get_object(self, request):
        self.request = request
        return request.feed_query.filtered_queryset()

    def title(self, events):
        return _("Foreign policy of Peru: events")

    def author_name(self):
        return ministry_name()

    def subtitle(self, events):
        return _("Summits, meetings, elections and signings of Peru's Ministry of Foreign Affairs.")

    def link(self, events):
        query = self.request.GET.urlencode()
        return reverse("events:list") + (f"?{query}" if query else "")

    def items(self, events):
        return events.select_related("type").order_by("-date", "-pk")[:FEED_SIZE]

    def item_title(self, event):
        return event.title

    def item_description(self, event):
        return f"{event.when} · {event.type.name}. {event.summary}"

    def item_pubdate(self, event):
        # Dated by the event, not by when its record was written or last corrected: a typo
        # fixed in a 2018 summit would otherwise bring it to the top of every reader.
        return datetime.combine(event.date, time(), tzinfo=timezone.get_current_timezone())

    def item_updateddate(self, event):
        return self.item_pubdate(event)

    def item_categories(self, event):
        return [event.type.name]
