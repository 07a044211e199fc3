from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from foreignpolicy.admin import RecordAdmin, VocabularyAdmin

from .models import Event, EventType
from .resources import EventResource


@admin.register(EventType)
class EventTypeAdmin(VocabularyAdmin):
    pass


@admin.register(Event)
class EventAdmin(RecordAdmin):
    resource_classes = [EventResource]
    list_display = ["title", "when", "type"]
    list_filter = ["is_published", "type", "country", "directorates", "topics", "date"]
    list_select_related = ["type", "country"]
    search_fields = ["title_en", "title_es", "slug", "location", "summary_en", "summary_es"]
    autocomplete_fields = ["type", "country", "countries", "organisations", "directorates", "agreements", "topics"]
    date_hierarchy = "date"

    @admin.display(description=_("date"), ordering="date")
    def when(self, event):
        return event.when  # at its precision, as the public site shows it

    fieldsets = [
        (None, {"fields": [("title_es", "title_en"), "slug", "type", ("is_published", "publish_at")]}),
        (
            _("When and where"),
            {
                "fields": [("date", "date_precision"), ("end_date", "end_date_precision"), ("location", "country")],
                "description": _(
                    "A date known only to the year or month: enter its first day and choose the precision."
                ),
            },
        ),
        (_("Who and what"), {"fields": ["countries", "organisations", "directorates", "agreements", "topics"]}),
        (_("Texts"), {"fields": [("summary_es", "summary_en"), "source_url"]}),
    ]
