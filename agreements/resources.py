from django.utils.translation import gettext_lazy as _

from directorates.models import Directorate
from foreignpolicy.columns import (
    Column,
    NumberWidget,
    PartialDateWidget,
    PartiesWidget,
    RecordWidget,
    VocabularyWidget,
)
from foreignpolicy.importing import RecordResource
from foreignpolicy.imports.duplicates import SameValues
from foreignpolicy.models import Country, Organisation
from foreignpolicy.partial_dates import PartialDate

from .models import Agreement, AgreementStatus, AgreementType


class SameTypePartiesAndSignature:
    """Agreements of one type with the same parties, signed on the same date."""

    reason = _("the same type, parties and date of signature")

    def key(self, type_id, signed, parties):
        return (type_id, signed, frozenset(parties)) if type_id and signed and parties else None

    def row_key(self, row):
        instance = row.instance
        parties = [(entry._meta.model_name, entry.pk) for entry in row.values.get("parties") or []]
        return self.key(instance.type_id, instance.signed, parties)

    def existing_keys(self, model):
        parties = {}
        for relation, model_name in (("countries", "country"), ("organisations", "organisation")):
            through = model._meta.get_field(relation).remote_field.through
            target = model._meta.get_field(relation).m2m_reverse_field_name()
            for agreement_id, party_id in through.objects.values_list("agreement_id", f"{target}_id").iterator():
                parties.setdefault(agreement_id, []).append((model_name, party_id))
        signed = model.objects.exclude(signed_on=None).values_list("pk", "type_id", "signed_on", "signed_on_precision")
        for pk, type_id, signed_on, precision in signed.iterator(chunk_size=5000):
            key = self.key(type_id, PartialDate(signed_on, precision), parties.get(pk))
            if key is not None:
                yield key, pk


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
    depositary_en = Column("depositary_en")
    depositary_es = Column("depositary_es")
    unts_number = Column("unts_number")
    wto_rta_id = Column("wto_rta_id", NumberWidget(prefix="RTA"))
    aladi_number = Column("aladi_number", NumberWidget(prefix="ACE"))
    archive_code = Column("archive_code")

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
            "depositary_en",
            "depositary_es",
            "unts_number",
            "wto_rta_id",
            "aladi_number",
            "archive_code",
            "published",
            "publish_at",
        )
        export_order = fields
        import_id_fields = ("slug",)

    duplicate_rules = [
        SameValues(_("the same English title"), "title_en"),
        SameValues(_("the same Spanish title"), "title_es"),
        SameTypePartiesAndSignature(),
    ]
    examples = (
        {
            "slug": "peru-guatemala-fta",
            "title_en": "Peru–Guatemala Free Trade Agreement",
            "title_es": "Tratado de Libre Comercio Perú - Guatemala",
            "short_title": "TLC Perú-Guatemala",
            "type": "free-trade-agreement",
            "status": "signed",
            "parties": "GT",
            "directorate": "economic-affairs",
            "topics": "trade",
            "signed_on": "2011-12-06",
            "summary_en": "Signed in 2011; not yet in force.",
            "summary_es": "Suscrito en 2011; aún no vigente.",
            "published": "no",
        },
        {
            "slug": "tisa",
            "title_en": "Trade in Services Agreement",
            "title_es": "Acuerdo sobre el Comercio de Servicios",
            "short_title": "TISA",
            "type": "multilateral-agreement",
            "status": "under_negotiation",
            "parties": "EU; US; JP",
            "topics": "trade",
            "published": "no",
        },
    )
