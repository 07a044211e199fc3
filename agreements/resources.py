from django.utils.translation import gettext_lazy as _

from directorates.models import Directorate
from foreignpolicy.columns import (
    Column,
    PartialDateWidget,
    PartiesWidget,
    RecordWidget,
    VocabularyWidget,
)
from foreignpolicy.importing import RecordResource
from foreignpolicy.models import Country, Organisation

from .models import Agreement, AgreementStatus, AgreementType


class AgreementResource(RecordResource):
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
    signed_on = Column("signed_on", PartialDateWidget(), attribute="signed")
    in_force_on = Column("in_force_on", PartialDateWidget(), attribute="in_force")
    ended_on = Column("ended_on", PartialDateWidget(), attribute="ended")
    source_url = Column("source_url")

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
