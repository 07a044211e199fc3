"""Pages that gather all three record kinds: home, search and topics."""

from django import forms
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from agreements.models import Agreement, AgreementStatus
from directorates.models import Directorate
from events.models import Event
from foreignpolicy.models import Topic, public_count
from foreignpolicy.public import QueryFormsMixin
from foreignpolicy.search import SEARCH_MAX_LENGTH, SNIPPET_WORDS, snippet
from foreignpolicy.text import active_language

LATEST_EVENTS = 6
UPCOMING_EVENTS = 4
RESULTS_PER_KIND = 20


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        events, today = Event.objects.public().select_related("type"), timezone.localdate()
        return super().get_context_data(
            statuses=status_cards(),
            directorates=Directorate.objects.public().tree(),
            upcoming_events=events.upcoming(today).order_by("date", "slug")[:UPCOMING_EVENTS],
            events=events.past(today).order_by("-date", "-pk")[:LATEST_EVENTS],
            **kwargs,
        )


def status_cards():
    """(status, count, address) for the home page. "In force" counts what the page of
    agreements in force lists today, by the same rule, and leads there."""
    list_url = reverse("agreements:list")
    cards = []
    for status in AgreementStatus.objects.annotate(count=public_count("agreements")):
        if status.code == AgreementStatus.IN_FORCE:
            cards.append((status, Agreement.objects.public().in_force_today().count(), reverse("agreements:in_force")))
        else:
            cards.append((status, status.count, f"{list_url}?status={status.code}"))
    return cards


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words to find, in Spanish or English"), max_length=SEARCH_MAX_LENGTH, required=False)


class SearchView(QueryFormsMixin, TemplateView):
    """One search box across directorates, agreements and events."""

    template_name = "search.html"

    def get_form(self):
        if not hasattr(self, "_form"):
            self._form = SearchForm(self.request.GET)
        return self._form

    def query_forms(self):
        return [*super().query_forms(), self.get_form()]

    def get_context_data(self, **kwargs):
        query = "" if self.query_errors() else self.get_form().cleaned_data["q"]
        results = []
        if query:
            found = [
                (Directorate, Directorate.objects.public().search(query), directorate_meta),
                (Agreement, Agreement.objects.public().search(query).select_related("status"), agreement_meta),
                (Event, Event.objects.public().search(query).select_related("type"), event_meta),
            ]
            results = [
                (
                    model._meta.verbose_name_plural,
                    records.count(),
                    [SearchResult(record, meta(record), query) for record in records[:RESULTS_PER_KIND]],
                )
                for model, records, meta in found
            ]
        return super().get_context_data(form=self.get_form(), query=query, results=results, **kwargs)


class SearchResult:
    """A record as the search page lists it: its title and a passage of its text, the words
    the search matched marked; and what it is (`meta`)."""

    def __init__(self, record, meta, query):
        self.record, self.meta = record, meta
        self.title = snippet(str(record), query, words=len(str(record))) or str(record)
        texts = [record.summary, getattr(record, "body", ""), *other_language_texts(record)]
        self.passage = next((found for text in texts if (found := snippet(text, query))), None)
        if self.passage is None and record.summary:
            self.passage = " ".join(record.summary.split()[:SNIPPET_WORDS]) + "…" * (
                len(record.summary.split()) > SNIPPET_WORDS
            )


def other_language_texts(record):
    """The record's summary and title in the language the reader is not reading, where the
    match may be when a text has no translation."""
    other = "en" if active_language() == "es" else "es"
    return [getattr(record, f"summary_{other}", ""), getattr(record, f"{record.title_field}_{other}", "")]


def directorate_meta(directorate):
    return _("Directorate")


def agreement_meta(agreement):
    parts = [str(_("Agreement")), agreement.status.name]
    if agreement.signed:
        parts.append(gettext("signed %(date)s") % {"date": agreement.signed})
    return " · ".join(parts)


def event_meta(event):
    return f"{event.type.name} · {event.when}"


class TopicView(TemplateView):
    """A topic's directorates, agreements and events."""

    template_name = "topics/detail.html"

    def get_context_data(self, **kwargs):
        topic = get_object_or_404(Topic, slug=self.kwargs["slug"])
        return super().get_context_data(
            topic=topic,
            directorates=topic.directorates.public(),
            agreements=topic.agreements.public().select_related("status"),
            events=topic.events.public().select_related("type"),
            **kwargs,
        )


class TopicListView(TemplateView):
    template_name = "topics/list.html"

    def get_context_data(self, **kwargs):
        topics = Topic.objects.annotate(
            agreement_count=public_count("agreements"),
            event_count=public_count("events"),
        )
        return super().get_context_data(topics=topics, **kwargs)


class RobotsView(TemplateView):
    template_name = "robots.txt"
    content_type = "text/plain"
