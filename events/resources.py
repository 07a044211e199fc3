from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from directorates.models import Directorate
from foreignpolicy.columns import (
    Column,
    PartialDateWidget,
    PartiesWidget,
    RecordWidget,
    VocabularyWidget,
)
from foreignpolicy.importing import RecordResource
from foreignpolicy.imports.duplicates import SameValues
from foreignpolicy.models import Country, Organisation

from .models import Event, EventType


class EventResource(RecordResource):
    title_en = Column("title_en")
    title_es = Column("title_es")
    date = Column("date", PartialDateWidget(), attribute="when")
    end_date = Column("end_date", PartialDateWidget(), attribute="until")
    type = Column("type", VocabularyWidget(EventType, label=_("event type")))
    location = Column("location")
    country = Column("country", VocabularyWidget(Country, label=_("country")))
    participants = Column(
        "participants",
        PartiesWidget(Country, Organisation, label=_("country or organisation")),
        relations=["countries", "organisations"],
    )
    directorates = Column(
        "directorates",
        RecordWidget(Directorate, label=_("directorate"), many=True, by_acronym=True),
        relations=["directorates"],
    )
    agreements = Column(
        "agreements", RecordWidget(Agreement, label=_("agreement"), many=True), relations=["agreements"]
    )
    source_url = Column("source_url")

    class Meta:
        model = Event
        name = "events"
        fields = (
            "slug",
            "title_en",
            "title_es",
            "date",
            "end_date",
            "type",
            "location",
            "country",
            "participants",
            "directorates",
            "agreements",
            "topics",
            "summary_en",
            "summary_es",
            "source_url",
            "published",
            "publish_at",
        )
        export_order = fields
        import_id_fields = ("slug",)

    examples = (
        {
            "slug": "apec-leaders-meeting-2024",
            "title_en": "APEC Economic Leaders' Meeting in Lima",
            "title_es": "Reunión de Líderes Económicos del APEC en Lima",
            "date": "2024-11-15",
            "end_date": "2024-11-16",
            "type": "summit",
            "location": "Lima",
            "country": "PE",
            "participants": "APEC",
            "topics": "trade",
            "published": "no",
        },
        {
            "slug": "visit-to-japan-2025",
            "title_en": "Official visit to Japan",
            "title_es": "Visita oficial al Japón",
            "date": "2025-03",
            "type": "official-visit",
            "country": "JP",
            "participants": "JP",
            "published": "no",
        },
    )

    duplicate_rules = [
        SameValues(_("the same date and English title"), "date", "title_en"),
        SameValues(_("the same date and Spanish title"), "date", "title_es"),
    ]
