from datetime import date

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from foreignpolicy.charts import bar_chart
from foreignpolicy.public import DownloadView, FilteredMixin, RecordDetailView, active_filters

from . import calendar, timeline
from .filters import EventFilter
from .models import Event
from .resources import EventResource

FEED_SIZE = 50


class TimelineView(FilteredMixin, TemplateView):
    """Events and agreement milestones, one year at a time, grouped by month, newest first."""

    filterset_class = EventFilter
    template_name = "events/timeline.html"

    def base_queryset(self):
        return Event.objects.public()

    def filters(self):
        filterset = self.get_filterset()
        return filterset.form.cleaned_data if filterset.is_bound and filterset.is_valid() else {}

    def get_context_data(self, **kwargs):
        filters = self.filters()
        events = self.filtered_queryset()
        years = sorted(events.years() | timeline.milestone_years(filters), reverse=True)
        year = self.chosen_year(years)
        entries = []
        if year:
            entries = timeline.events_as_entries(
                events.filter(date__year=year).for_timeline()
            ) + timeline.milestones_in_year(filters, year)
        by_type = {}
        for entry in entries:
            by_type[entry.label] = by_type.get(entry.label, 0) + 1
        return super().get_context_data(
            filter=self.get_filterset(),
            active_filters=active_filters(self.get_filterset(), self.request),
            years=years,
            year=year,
            months=timeline.by_month(entries),
            entry_count=len(entries),
            type_chart=bar_chart(sorted(by_type.items(), key=lambda item: -item[1])),
            **kwargs,
        )

    def chosen_year(self, years):
        try:
            wanted = int(self.request.GET.get("year", ""))
        except ValueError:
            wanted = None
        if wanted in years:
            return wanted
        return years[0] if years else None


class EventDetailView(RecordDetailView):
    model = Event
    template_name = "events/detail.html"


class EventDownloadView(DownloadView):
    filterset_class = EventFilter
    resource_class = EventResource


class CalendarView(FilteredMixin, View):
    """An iCalendar feed of the upcoming events a filtered timeline selects."""

    filterset_class = EventFilter

    def get(self, request):
        events = self.filtered_queryset().upcoming(date.today()).order_by("date", "slug")
        body = calendar.render(events, request, name=_("Foreign policy of Peru: upcoming events"))
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="events.ics"'
        return response


class EventFeed(Feed):
    """The latest events as Atom; the query string of a filtered timeline filters it."""

    feed_type = Atom1Feed

    def get_object(self, request):
        self.request = request
        filterset = EventFilter(request.GET or None, queryset=Event.objects.public(), request=request)
        return filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset

    def title(self, events):
        return _("Foreign policy of Peru: events")

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
        return event.created_at

    def item_updateddate(self, event):
        return event.updated_at

    def item_categories(self, event):
        return [event.type.name]
