from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max
from django.urls import reverse

from agreements.models import Agreement
from directorates.models import Directorate
from events.models import Event
from foreignpolicy.models import Topic

# Addresses on one page of a section (each record has one per language); the index at
# /sitemap.xml lists every page. The protocol allows 50,000.
LIMIT = 5000


class InLanguages:
    """(item, language) for every item of a queryset and every language, as Django's
    i18n sitemaps page them, but read a page at a time: Django's own list holds every
    record of the section, on every request."""

    def __init__(self, items, languages):
        self.items = items
        self.languages = languages

    def count(self):
        return self.items.count() * len(self.languages)

    def __getitem__(self, page):
        size = len(self.languages)
        first = page.start // size
        records = self.items[first : -(-page.stop // size)]
        pairs = [(record, language) for record in records for language in self.languages]
        return pairs[page.start - first * size : page.stop - first * size]


class RecordSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    limit = LIMIT

    def __init__(self, model):
        self.model = model

    def items(self):
        return self.model.objects.public().order_by("pk")

    @property
    def paginator(self):
        return Paginator(
            InLanguages(self.items(), self.languages or [code for code, _name in settings.LANGUAGES]), self.limit
        )

    def lastmod(self, record):
        # A record scheduled when it was last saved changed for the public at its moment.
        return max(record.updated_at, record.public_since or record.updated_at)

    def get_latest_lastmod(self):
        # For the index: aggregates, where Django's default reads every record.
        latest = self.items().aggregate(saved=Max("updated_at"), scheduled=Max("publish_at"))
        return max((moment for moment in latest.values() if moment), default=None)


class PageSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return ["home", "directorates:list", "agreements:list", "agreements:in_force", "events:list", "topics:list"]

    def location(self, name):
        return reverse(name)


class TopicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return Topic.objects.order_by("pk")


SITEMAPS = {
    "pages": PageSitemap,
    "topics": TopicSitemap,
    "directorates": RecordSitemap(Directorate),
    "agreements": RecordSitemap(Agreement),
    "events": RecordSitemap(Event),
}
