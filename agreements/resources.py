from django.utils.translation import gettext_lazy as _

from directorates.models import Directorate
from foreignpolicy.columns import (
    Column,
    PartialDateWidget,
    PartiesWidget,
    PublishedWidget,
    RecordWidget,
    VocabularyWidget,
)
from foreignpolicy.importing import RecordResource
from foreignpolicy.models import Country, Organisation, Topic

from .models import Agreement, AgreementStatus, AgreementType


class AgreementResource(RecordResource):
    slug = Column("slug")
    title_en = Column("title_en")
    title_es = Column("title_es")
    short_title = Column("short_title")
    type = Column("type", VocabularyWidget(AgreementType, label=_("agreement type")))
    status = Column("status", VocabularyWidget(AgreementStatus, label=_("agreement status")))
    parties = Column(
        "parties",
        PartiesWidget(Country, Organisation, label=_("country or organisation")),
        relations=["countries", "organisations"],
    )
    directorate = Column("directorate", RecordWidget(Directorate, label=_("directorate"), by_acronym=True))
    topics = Column("topics", VocabularyWidget(Topic, label=_("topic"), many=True), relations=["topics"])
    signed_on = Column("signed_on", PartialDateWidget(), attribute="signed")
    in_force_on = Column("in_force_on", PartialDateWidget(), attribute="in_force")
    ended_on = Column("ended_on", PartialDateWidget(), attribute="ended")
    summary_en = Column("summary_en")
    summary_es = Column("summary_es")
    source_url = Column("source_url")
    published = Column("published", PublishedWidget(), attribute="is_published")

    class Meta:
        model = Agreement
        name = "agreements"
        fields = (
            "slug",
            "title_en",
            "title_es",
            "short_title",
            "type",
            "status",
            "parties",
            "directorate",
            "topics",
            "signed_on",
            "in_force_on",
            "ended_on",
            "summary_en",
            "summary_es",
            "source_url",
            "published",
        )
        export_order = fields
        import_id_fields = ("slug",)
