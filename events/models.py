from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from directorates.models import Directorate
from foreignpolicy.models import (
    Country,
    Organisation,
    PublishableQuerySet,
    Record,
    Topic,
    Vocabulary,
    record_permissions,
)
from foreignpolicy.partial_dates import PartialDateAttribute, precision_field
from foreignpolicy.revisions import versioned
from foreignpolicy.text import Translated


class EventType(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("event type")
        verbose_name_plural = _("event types")


class EventQuerySet(PublishableQuerySet):
    # Directorates and agreements are links to other records: public() or with_links() loads them.
    def for_list(self):
        return self.select_related("type", "country").prefetch_related("countries", "organisations", "topics")

    def for_export(self):
        return self.for_list().with_links().order_by("date", "slug")

    def for_detail(self):
        return self.for_list()

    def for_timeline(self):
        return self.select_related("type", "country")

    def upcoming(self, today):
        """Events still to come or going on: starting or ending `today` or later."""
        return self.filter(self.still_to_come(today))

    def past(self, today):
        return self.exclude(self.still_to_come(today))

    @staticmethod
    def still_to_come(today):
        return Q(date__gte=today) | Q(end_date__gte=today)

    def years(self):
        return {day.year for day in self.dates("date", "year")}


@versioned
class Event(Record):
    """A dated foreign-policy event on the timeline: a summit, meeting, election, signing."""

    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=300, blank=True)
    date = models.DateField(_("date"))
    date_precision = precision_field()
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("For events over several days."))
    end_date_precision = precision_field()
    type = models.ForeignKey(EventType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="events")
    location = models.CharField(_("place"), max_length=120, blank=True, help_text=_("City."))
    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    countries = models.ManyToManyField(
        Country, verbose_name=_("participating countries"), blank=True, related_name="events"
    )
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("participating organisations"), blank=True, related_name="events"
    )
    directorates = models.ManyToManyField(
        Directorate, verbose_name=_("directorates"), blank=True, related_name="events"
    )
    agreements = models.ManyToManyField(Agreement, verbose_name=_("agreements"), blank=True, related_name="events")
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="events")
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_es = models.TextField(_("summary (Spanish)"), blank=True)
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    searched_fields = ("title_en", "title_es", "location", "summary_en", "summary_es")

    title = Translated("title")
    summary = Translated("summary")
    when = PartialDateAttribute("date")
    until = PartialDateAttribute("end_date")

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        permissions = record_permissions("event", _("events"))
        ordering = ["-date", "title_en"]
        indexes = [models.Index(fields=["date"])]

    def __str__(self):
        return self.title

    def validation_errors(self):
        errors = super().validation_errors()
        if self.when and self.until and self.until.end < self.when.start:
            errors["end_date"] = _("The end date (%(end)s) is before the date (%(start)s).") % {
                "end": self.until.isoformat(),
                "start": self.when.isoformat(),
            }
        return errors
