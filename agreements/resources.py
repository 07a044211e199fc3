import functools
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from directorates.models import Directorate
from foreignpolicy.columns import (
    CELLS_KEPT,
    LIST_SEPARATOR,
    CellReader,
    ChoiceWidget,
    Column,
    NumberWidget,
    PartialDateWidget,
    PartiesWidget,
    RecordWidget,
    TextWidget,
    VocabularyWidget,
    among,
    linked_keys,
    split_keys,
    split_list,
)
from foreignpolicy.importing import RecordResource
from foreignpolicy.imports.checking import naming_own_record
from foreignpolicy.imports.duplicates import SameValues
from foreignpolicy.imports.problems import Problem
from foreignpolicy.imports.reading import UPDATE
from foreignpolicy.models import Country, Organisation
from foreignpolicy.partial_dates import PartialDate
from foreignpolicy.parts import LineColumn, PartsResource, PartsWidget
from foreignpolicy.text import normalise

from .models import (
    MARKED_DATES,
    RELATION_OF,
    RELATIONS,
    Agreement,
    AgreementStatus,
    AgreementType,
    ConsentKind,
    Participant,
    Relation,
    Step,
    StepKind,
    dates_from_steps,
    marking_steps,
    references_of,
)


@dataclass(frozen=True)
class Related:
    """One relation of a row's agreement to another: its kind, and the other agreement (or
    the row of the file that creates it)."""

    relation: Relation
    agreement: object


class RelationsWidget(RecordWidget):
    """`replaces:tpp; amends:ace-38`: each relation as its kind, a colon and the other
    agreement's slug. A relation is written on the row of the agreement that does the
    relating (the amendment, the protocol, the successor), in one direction only, so that
    no two rows can disagree about it."""

    def __init__(self):
        super().__init__(Agreement, label=_("agreement"), many=True)
        self.by_word = {
            word_key(word): relation
            for relation in RELATIONS
            for word in (relation.word, relation.field, *relation.spellings)
        }
        self.backward = {word_key(relation.backward_field): relation for relation in RELATIONS}

    def prepare(self, values, context):
        # The slugs after the colons are what the records are looked up by.
        super().prepare([LIST_SEPARATOR.join(slug for _word, slug in self.pairs(value)) for value in values], context)

    @staticmethod
    def pairs(value):
        return [tuple(part.strip() for part in item.partition(":")[::2]) for item in split_list(value)]

    def clean(self, value, row=None, **kwargs):
        found, messages = [], []
        for word, slug in self.pairs(value):
            relation = self.by_word.get(word_key(word))
            if relation is None:
                messages.append(self.unknown_word(word, slug))
                continue
            if not slug:
                messages.append(
                    gettext("“%(word)s:” names no agreement; write its slug after the colon.") % {"word": word}
                )
                continue
            for agreement in super().clean(slug):
                if Related(relation, agreement) not in found:
                    found.append(Related(relation, agreement))
        if messages:
            raise ValueError(" ".join(messages))
        return found

    def unknown_word(self, word, slug):
        backward = self.backward.get(word_key(word))
        if backward is not None:
            return gettext(
                "“%(word)s” is the other side of a relation: write it on the row of “%(slug)s”, as "
                "“%(relation)s:” and this agreement's slug."
            ) % {"word": word, "slug": slug, "relation": backward.word}
        return gettext("“%(word)s” is not a kind of relation; write %(words)s.") % {
            "word": word,
            "words": gettext(" or ").join(f"“{relation.word}”" for relation in RELATIONS),
        }

    def render(self, value, obj=None, **kwargs):
        return LIST_SEPARATOR.join(
            f"{related.relation.word}:{related.agreement.slug}" for related in sorted(value or [], key=self.order)
        )

    @staticmethod
    def order(related):
        return RELATIONS.index(related.relation), related.agreement.slug

    def describe(self, value):
        return f"{LIST_SEPARATOR} ".join(
            f"{related.relation.forward} {related.agreement} ({related.agreement.slug})"
            for related in sorted(value or [], key=self.order)
        )

    def links(self, relation, value, target):
        return [related.agreement for related in value or [] if related.relation.field == relation]

    def from_links(self, linked):
        return [Related(RELATION_OF[name], agreement) for name, agreements in linked for agreement in agreements]

    def export_reader(self, model, attribute, relations, public):
        visible = self.model.objects.published() if public else None
        words = [RELATION_OF[name].word for name in relations]

        @functools.lru_cache(maxsize=CELLS_KEPT)
        def write(*listed):
            return LIST_SEPARATOR.join(
                f"{word}:{slug}"
                for word, slugs in zip(words, listed, strict=True)
                for slug in sorted(split_keys(slugs))
            )

        return CellReader(write, tuple(linked_keys(model, name, "slug", within=visible) for name in relations))


def word_key(word):
    """A relation's word as looked up: "Protocol-To", "protocol_to" and "protocol to" alike."""
    return " ".join(normalise(word).replace("_", " ").replace("-", " ").split())


def relations_to_themselves(rows, present):
    """Problems for rows whose agreement would relate to itself."""
    message = gettext("An agreement cannot have a relation to itself (“%(relation)s:%(slug)s”).")
    return naming_own_record(
        rows,
        "relations",
        lambda related: message % {"relation": related.relation.word, "slug": related.agreement.slug},
        named=lambda related: related.agreement,
    )


def dates_the_steps_mark(rows, present):
    """Problems for rows whose date of signature, entry into force or end differs from the
    one a step of the agreement marks: the step gives it (README, "Steps")."""
    dated = [column for column in MARKED_DATES if column in present]
    updated = {row.instance.pk: row for row in rows if row.action == UPDATE}
    if not dated or not updated:
        return []
    message = gettext(
        "The agreement's step “%(step)s” of %(date)s gives this date: change the step (in the steps file or "
        "the admin), not the date."
    )
    problems = []
    marking = Step.objects.for_page().filter(kind__marks__in=dated)
    for chunk in among(marking, "agreement", list(updated)):
        for step in marking_steps(chunk).values():
            row = updated[step.agreement_id]
            if getattr(row.instance, MARKED_DATES[step.kind.marks]) != step.when:
                problem = message % {"step": step.kind, "date": step.when.isoformat()}
                problems.append(Problem(row.number, step.kind.marks, problem))
    return problems


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
    relations = Column("relations", RelationsWidget(), relations=[relation.field for relation in RELATIONS])
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
            "relations",
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

    cross_row_checks = [relations_to_themselves, dates_the_steps_mark]
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


class StepsWidget(PartsWidget):
    """An agreement's steps, in the order they happened. The steps that mark a date of
    the agreement (StepKind.marks) set it (README, "Steps")."""

    def __init__(self):
        super().__init__(
            Step,
            Step._meta.get_field("agreement"),
            [
                LineColumn("kind", VocabularyWidget(StepKind, label=_("kind of step")), "kind"),
                LineColumn("date", PartialDateWidget(), "when"),
                LineColumn("reference", TextWidget(), "reference"),
                LineColumn("url", TextWidget(), "url"),
                LineColumn("note_en", TextWidget(), "note_en"),
                LineColumn("note_es", TextWidget(), "note_es"),
            ],
            sort_key=lambda part, cells: (part[1].start if part[1] else date.max, part[0].position if part[0] else 0),
            unique_by=("kind", "date", "reference"),
        )

    @property
    def derived_fields(self):
        return ["step_references", *(name for field in MARKED_DATES for name in (field, f"{field}_precision"))]

    def derived_values(self, instance):
        dates = PartialDateWidget()
        return {field: dates.render(getattr(instance, attribute)) for field, attribute in MARKED_DATES.items()}

    def assign(self, instance, attribute, value):
        # In the order they happened: the value was read from its canonical text (render()).
        steps = [self.make(instance.pk, part) for part in value or []]
        instance.step_references = references_of(steps)
        for field, date_of_step in dates_from_steps(steps).items():
            setattr(instance, MARKED_DATES[field], date_of_step)


class StepResource(PartsResource):
    """The steps file: a line per step (docs/csv-format.md, "Steps")."""

    steps = Column("steps", StepsWidget())
    # Not in a steps file: an undo restores with them the dates the steps had set.
    signed_on = AgreementResource.fields["signed_on"]
    in_force_on = AgreementResource.fields["in_force_on"]
    ended_on = AgreementResource.fields["ended_on"]
    parent_column = "agreement"
    parts_column = "steps"

    class Meta:
        model = Agreement
        name = "steps"
        fields = ("slug", "steps", "published", *MARKED_DATES)
        import_id_fields = ("slug",)

    examples = (
        {"agreement": "peru-guatemala-fta", "kind": "signature", "date": "2011-12-06"},
        {
            "agreement": "unasur-constitutive-treaty",
            "kind": "withdrawal",
            "date": "2019-05-28",
            "note_en": "Withdrawal announced on 21 April 2018, formalised on 28 May 2019.",
            "note_es": "Retiro anunciado el 21 de abril de 2018 y formalizado el 28 de mayo de 2019.",
        },
    )


class ParticipantResource(PartsResource):
    """The participants file: a line per party to a multilateral agreement, with its own
    dates (docs/csv-format.md, "Participants")."""

    participants = Column(
        "participants",
        PartsWidget(
            Participant,
            Participant._meta.get_field("agreement"),
            [
                LineColumn(
                    "party",
                    PartiesWidget(Country, Organisation, label=_("country or organisation"), many=False),
                    "party",
                    fields=("country", "organisation"),
                ),
                LineColumn("signed_on", PartialDateWidget(), "signed"),
                LineColumn("consent_on", PartialDateWidget(), "consent"),
                LineColumn("consent_kind", ChoiceWidget(ConsentKind), "consent_kind"),
                LineColumn("in_force_on", PartialDateWidget(), "in_force"),
                LineColumn("withdrawn_on", PartialDateWidget(), "withdrawn"),
            ],
            unique_by=("party",),
        ),
    )
    parent_column = "agreement"
    parts_column = "participants"

    class Meta:
        model = Agreement
        name = "participants"
        fields = ("slug", "participants", "published")
        import_id_fields = ("slug",)

    examples = (
        {"agreement": "unasur-constitutive-treaty", "party": "PE", "withdrawn_on": "2019-05-28"},
        {"agreement": "cptpp", "party": "CL"},
    )
