from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from agreements.models import Agreement
from directorates.models import Directorate
from events.models import Event

from .models import Topic


class RecordSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def __init__(self, model):
        self.model = model

    def items(self):
        return self.model.objects.public().order_by("pk")

    def lastmod(self, record):
        return record.updated_at


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
