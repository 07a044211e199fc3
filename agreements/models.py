from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, OrderBy, Q, Value
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directorates.models import Directorate
from foreignpolicy.filters import taking_part
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


class AgreementType(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("agreement type")
        verbose_name_plural = _("agreement types")


class AgreementStatus(models.Model):
    """The four fixed stages of an agreement; staff may reword the names, not the codes."""

    UNDER_NEGOTIATION = "under_negotiation"
    SIGNED = "signed"
    IN_FORCE = "in_force"
    TERMINATED = "terminated"

    code = models.SlugField(_("code"), max_length=30, primary_key=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_es = models.CharField(_("name (Spanish)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    name = Translated("name")

    class Meta:
        verbose_name = _("agreement status")
        verbose_name_plural = _("agreement statuses")
        ordering = ["position"]

    def __str__(self):
        return self.name

    # Spellings an import accepts besides the code and the names: the 2022 book's wording.
    OTHER_SPELLINGS = {SIGNED: ["About to enter into force", "Suscrito, por entrar en vigencia"]}

    def lookup_keys(self):
        return [
            self.code,
            self.code.replace("_", "-"),
            self.name_en,
            self.name_es,
            *self.OTHER_SPELLINGS.get(self.code, []),
        ]

    @property
    def export_key(self):
        return self.code


class SortIndex(models.Index):
    """An index on expressions that follow an ordering, NULLS LAST included, for PostgreSQL.

    SQLite already sorts NULL last in a descending order (first in an ascending one) and
    refuses NULLS FIRST / LAST in an index, so there the same index is made without them."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "sqlite":
            index = self.clone()
            index.expressions = tuple(sqlite_order(expression) for expression in self.expressions)
            return super(SortIndex, index).create_sql(model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


def sqlite_order(expression):
    if isinstance(expression, OrderBy) and (expression.nulls_last if expression.descending else expression.nulls_first):
        return OrderBy(expression.expression, descending=expression.descending)
    return expression


# The agreements' default order, newest signature first, undated (under negotiation)
# last on PostgreSQL as on SQLite; the slug makes it total, so that pages never overlap.
# Agreement.Meta.ordering, the list's default ordering and an index share it.
BY_SIGNATURE = (models.F("signed_on").desc(nulls_last=True), "title_en", "slug")


class AgreementQuerySet(PublishableQuerySet):
    # The responsible directorate is a link to another record: public() or with_links() loads it.
    def for_list(self):
        return self.select_related("type", "status").prefetch_related("countries", "organisations", "topics")

    def for_export(self):
        return self.for_list().with_links().order_by("slug")

    def for_detail(self):
        return self.for_list()

    def related_to(self, agreement):
        """(how the page of `agreement` names the relation, [agreements]) for each kind of
        relation it has, those stored on it first, then those others have to it; of this
        queryset's agreements, by title. Two queries, however many relations there are."""
        parts = []
        for position, relation in enumerate(RELATIONS):
            through = self.model._meta.get_field(relation.field).remote_field.through.objects.order_by()
            parts.append(through.filter(from_agreement=agreement.pk).values_list(Value(position), "to_agreement"))
            backward = Value(len(RELATIONS) + position)
            parts.append(through.filter(to_agreement=agreement.pk).values_list(backward, "from_agreement"))
        pairs = list(parts[0].union(*parts[1:], all=True))
        found = self.order_by().only("slug", "title_en", "title_es").in_bulk({pk for _position, pk in pairs})
        labels = [relation.forward for relation in RELATIONS] + [relation.backward for relation in RELATIONS]
        listed = {}
        for position, pk in sorted(pairs):
            if pk in found:
                listed.setdefault(position, []).append(found[pk])
        return [(labels[position], sorted(others, key=str)) for position, others in sorted(listed.items())]

    def for_in_force(self):
        """What the page of agreements in force shows: title, link and the two dates. (The
        directorate's id stays, for public()'s closed link, which would load it row by row.)"""
        return self.only("slug", "title_en", "title_es", "directorate", *dated_fields("in_force_on", "ended_on"))

    def for_timeline(self):
        """What a milestone on the timeline shows: title, link and the three dates."""
        return self.only(
            "slug", "title_en", "title_es", "directorate", *dated_fields("signed_on", "in_force_on", "ended_on")
        )

    def in_force_on(self, day):
        """Agreements in force on `day`, by the one rule every page uses (README, "In force"):
        entered into force by then and not ended by then, a date known only to its year or
        month counting from the first day of that period. From today on the status has the
        last word, as the editors' statement of the present: only agreements "in force"
        count, and those too whose date of entry into force is not recorded."""
        entered = Q(in_force_on__lte=day)
        if status_decides(day):
            entered = (entered | Q(in_force_on=None)) & Q(status=AgreementStatus.IN_FORCE)
        return self.filter(entered).exclude(ended_on__lte=day)

    def in_force_for(self, party, day):
        """Agreements in force for `party` (a country's code, an organisation's slug) on
        `day`: those it takes part in, by its own entry into force and withdrawal where its
        participation gives them (Participant), else by the agreement's (in_force_on)."""
        participations = Participant.objects.of_party(party)
        dated = participations.exclude(in_force_on=None)
        by_own_date = Q(pk__in=dated.filter(in_force_on__lte=day).values("agreement"))
        by_agreement = Q(pk__in=self.in_force_on(day).values("pk")) & ~Q(pk__in=dated.values("agreement"))
        takes_part = Q(pk__in=taking_part(self.model.objects, party).values("pk")) | Q(
            pk__in=participations.values("agreement")
        )
        return (
            self.filter(takes_part & (by_own_date | by_agreement))
            .exclude(ended_on__lte=day)
            .exclude(pk__in=participations.filter(withdrawn_on__lte=day).values("agreement"))
        )

    def in_force_today(self):
        return self.in_force_on(timezone.localdate())

    def by_signature_year(self):
        return (
            self.exclude(signed_on=None)
            .values_list(ExtractYear("signed_on"))
            .annotate(count=Count("pk"))
            .order_by(ExtractYear("signed_on"))
        )

    def by_status(self):
        return self.values_list("status").annotate(count=Count("pk")).order_by()


# The agreement's date fields the steps keep (StepKind.marks), as their partial-date attributes.
MARKED_DATES = {"signed_on": "signed", "in_force_on": "in_force", "ended_on": "ended"}
HISTORY_DATES = [("signed_on", _("Signed")), ("in_force_on", _("Entered into force")), ("ended_on", _("Ended"))]

# The WTO's public page of one regional trade agreement, by its RTA ID.
WTO_RTA_ADDRESS = "https://rtais.wto.org/UI/PublicShowRTAIDCard.aspx?rtaid={}"


def status_decides(day):
    """Whether the status, not only the dates, says what is in force on `day`: from today on."""
    return day >= timezone.localdate()


def dated_fields(*names):
    return [field for name in names for field in (name, f"{name}_precision")]


@dataclass(frozen=True)
class Relation:
    """A kind of relation between agreements: its field, the word a file writes, and how
    each of the two pages names it."""

    field: str
    word: str
    spellings: tuple
    forward: str  # on the page of the agreement the relation is stored on
    backward: str  # on the page of the other agreement
    backward_field: str


RELATIONS = (
    Relation("amends", "amends", ("modifica", "enmienda"), _("Amends"), _("Amended by"), "amended_by"),
    Relation("replaces", "replaces", ("reemplaza", "sustituye"), _("Replaces"), _("Replaced by"), "replaced_by"),
    Relation("protocol_to", "protocol-to", ("protocolo-de",), _("Protocol to"), _("Protocols"), "protocols"),
    Relation("implements", "implements", ("implementa",), _("Implements"), _("Implemented by"), "implemented_by"),
    Relation("deepens", "deepens", ("profundiza",), _("Deepens"), _("Deepened by"), "deepened_by"),
    Relation("succeeds", "succeeds", ("sucede-a", "sucede"), _("Succeeds"), _("Succeeded by"), "succeeded_by"),
)
RELATION_OF = {relation.field: relation for relation in RELATIONS}


def related_agreements(field):
    """The field of one kind of relation, named as RELATIONS names it."""
    relation = RELATION_OF[field]
    return models.ManyToManyField(
        "self", verbose_name=relation.forward, symmetrical=False, blank=True, related_name=relation.backward_field
    )


@versioned(parts=("steps", "participants"))
class Agreement(Record):
    """A treaty, trade agreement, strategic partnership or memorandum Peru is party to."""

    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=300, blank=True)
    short_title = models.CharField(
        _("short title"), max_length=60, blank=True, help_text=_("For example TPP-11 or ACE 58.")
    )
    type = models.ForeignKey(AgreementType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="agreements")
    status = models.ForeignKey(
        AgreementStatus, verbose_name=_("status"), on_delete=models.PROTECT, related_name="agreements"
    )
    countries = models.ManyToManyField(
        Country,
        verbose_name=_("countries"),
        blank=True,
        related_name="agreements",
        help_text=_("Counterpart countries; Peru is implied."),
    )
    organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("organisations"),
        blank=True,
        related_name="agreements",
        help_text=_("Counterpart organisations and blocs."),
    )
    directorate = models.ForeignKey(
        Directorate,
        verbose_name=_("responsible directorate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="agreements")
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signed_on_precision = precision_field()
    in_force_on = models.DateField(_("in force since"), null=True, blank=True)
    in_force_on_precision = precision_field()
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    ended_on_precision = precision_field()
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_es = models.TextField(_("summary (Spanish)"), blank=True)
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    # References: what makes the record findable in other registers (README, "References").
    depositary_en = models.CharField(
        _("depositary (English)"),
        max_length=200,
        blank=True,
        help_text=_(
            "The state or organisation that keeps the original, e.g. the Secretary-General of the United Nations."
        ),
    )
    depositary_es = models.CharField(_("depositary (Spanish)"), max_length=200, blank=True)
    unts_number = models.CharField(
        _("UNTS registration number"),
        max_length=30,
        blank=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]*$", _("Letters, digits, spaces, “.”, “-” and “/” only."))
        ],
        help_text=_("As the United Nations Treaty Series registers it, e.g. I-54113."),
    )
    wto_rta_id = models.PositiveIntegerField(
        _("WTO RTA ID"),
        null=True,
        blank=True,
        help_text=_("The agreement's number in the WTO's Regional Trade Agreements database."),
    )
    aladi_number = models.PositiveIntegerField(
        _("ALADI agreement number"),
        null=True,
        blank=True,
        help_text=_("The number of an Economic Complementation Agreement under ALADI: 58 for ACE 58."),
    )
    archive_code = models.CharField(
        _("archive code"),
        max_length=60,
        blank=True,
        help_text=_("The ministry's own code for the record in its archive."),
    )
    # The official references its steps carry (a Resolución Legislativa), kept here so that
    # the search text is made from the agreement's own fields, an import's without a query
    # per agreement: set from the steps whenever they are written (save(), StepsWidget).
    step_references = models.TextField(_("references of its steps"), blank=True, editable=False)

    # Relations to other agreements, each stored on the agreement that does the relating
    # (the protocol, the amendment, the successor); the other's page reads it backwards.
    amends = related_agreements("amends")
    replaces = related_agreements("replaces")
    protocol_to = related_agreements("protocol_to")
    implements = related_agreements("implements")
    deepens = related_agreements("deepens")
    succeeds = related_agreements("succeeds")

    searched_fields = ("title_en", "title_es", "short_title", "summary_en", "summary_es", "reference_text")
    links_read_apart = tuple(relation.field for relation in RELATIONS)  # AgreementQuerySet.related_to

    title = Translated("title")
    summary = Translated("summary")
    signed = PartialDateAttribute("signed_on")
    in_force = PartialDateAttribute("in_force_on")
    ended = PartialDateAttribute("ended_on")
    depositary = Translated("depositary")

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        permissions = record_permissions("agreement", _("agreements"))
        ordering = list(BY_SIGNATURE)
        indexes = [
            # Serves the default order (page 100 as page 1) and ranges of signature dates.
            SortIndex(*BY_SIGNATURE, name="agreement_by_signature"),
            models.Index(fields=["in_force_on"]),
        ]

    def __str__(self):
        return self.title

    def history(self, steps):
        """(when, what, the step or None) of the agreement's dated steps, and of its dates
        of signature, entry into force and end that no step marks, in order."""
        marked = {step.kind.marks for step in steps}
        entries = [(step.when, step.kind.name, step) for step in steps]
        for field, label in HISTORY_DATES:
            when = getattr(self, MARKED_DATES[field])
            if when and field not in marked:
                entries.append((when, label, None))
        return sorted(entries, key=lambda entry: entry[0].start)

    @property
    def references(self):
        """(label, identifier, address or "") of each reference given, in a fixed order. The
        WTO's database has an address for each agreement; the UNTS and ALADI numbers and the
        archive code have none that could be built from the number alone."""
        listed = [
            (_("Depositary"), self.depositary, ""),
            (_("UNTS registration number"), self.unts_number, ""),
            (_("WTO RTA ID"), self.wto_rta_id, WTO_RTA_ADDRESS.format(self.wto_rta_id)),
            (_("ALADI agreement"), self.aladi_code, ""),
            (_("Archive code"), self.archive_code, ""),
        ]
        return [(label, value, address) for label, value, address in listed if value]

    @property
    def aladi_code(self):
        """The ALADI agreement as the region writes it: "ACE 58"."""
        return f"ACE {self.aladi_number}" if self.aladi_number else ""

    @property
    def reference_text(self):
        """The references as searched: "ACE 58", "RTA 123" and a step's "Resolución
        Legislativa N° 29000" find their agreement."""
        return " ".join(
            str(value)
            for value in (
                self.depositary_en,
                self.depositary_es,
                self.unts_number,
                self.wto_rta_id and f"RTA {self.wto_rta_id}",
                self.aladi_code,
                self.archive_code,
                self.step_references,
            )
            if value
        )

    def save(self, *args, **kwargs):
        # A save of one agreement (the admin's, a restore's) reads its steps as they are.
        if self.pk:
            self.step_references = references_of(self.steps.all())
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "step_references"}
        super().save(*args, **kwargs)

    @property
    def parties(self):
        """Counterpart countries then organisations, by name in the reader's language."""
        return sorted(self.countries.all(), key=lambda c: c.name) + sorted(self.organisations.all(), key=str)

    def validation_errors(self):
        errors = super().validation_errors()
        # Compare whole periods, so that "2009" may stand beside "2009-05-12".
        if self.signed and self.in_force and self.in_force.end < self.signed.start:
            errors["in_force_on"] = _("Entry into force (%(in_force)s) is before the signature (%(signed)s).") % {
                "in_force": self.in_force.isoformat(),
                "signed": self.signed.isoformat(),
            }
        start = self.in_force or self.signed
        if start and self.ended and self.ended.end < start.start:
            errors["ended_on"] = _("The end (%(ended)s) is before %(start)s.") % {
                "ended": self.ended.isoformat(),
                "start": start.isoformat(),
            }
        return errors

    WARNED_FIELDS = ("status", "in_force_on", "ended_on")

    def validation_warnings(self):
        """{field: message} where the status and the dates tell different stories: the
        record may be saved, but the page of agreements in force follows the dates for
        past days and the status for today (AgreementQuerySet.in_force_on)."""
        deferred = self.get_deferred_fields()
        if not self.status_id or any(self._meta.get_field(name).attname in deferred for name in self.WARNED_FIELDS):
            return {}
        today = timezone.localdate()
        status, warnings = self.status_id, {}
        if status == AgreementStatus.IN_FORCE and not self.in_force:
            warnings["in_force_on"] = _(
                "The status is “%(status)s” but no date of entry into force is given: the agreement is listed as in "
                "force today, and on no earlier date."
            )
        elif (
            status in (AgreementStatus.SIGNED, AgreementStatus.UNDER_NEGOTIATION)
            and self.in_force_on
            and self.in_force_on <= today
        ):
            warnings["status"] = _(
                "It entered into force on %(in_force)s, but its status is “%(status)s”: it is listed as in force on "
                "the days since, but not today."
            )
        elif status == AgreementStatus.TERMINATED and not self.ended:
            warnings["ended_on"] = _(
                "The status is “%(status)s” but no end date is given, so for past days it counts as in force from its "
                "entry into force on."
            )
        elif status == AgreementStatus.IN_FORCE and self.ended_on and self.ended_on <= today:
            warnings["status"] = _("It ended on %(ended)s, but its status is “%(status)s”.")
        if not warnings:
            return {}
        values = {
            "status": self.status.name,
            "in_force": self.in_force.isoformat() if self.in_force else "",
            "ended": self.ended.isoformat() if self.ended else "",
        }
        return {field: message % values for field, message in warnings.items()}


class StepKind(Vocabulary):
    """A kind of step in the life of an agreement. A kind may mark one of the agreement's
    three dates: the earliest step of that kind gives the date (README, "Steps")."""

    class Marks(models.TextChoices):
        NOTHING = "", _("no date of the agreement")
        SIGNED = "signed_on", _("the signature")
        IN_FORCE = "in_force_on", _("the entry into force (for Peru)")
        ENDED = "ended_on", _("the end")

    marks = models.CharField(_("marks"), max_length=20, choices=Marks.choices, blank=True)
    spellings = models.TextField(
        _("other spellings"), blank=True, help_text=_("Other names an import accepts, separated by “;”.")
    )

    class Meta(Vocabulary.Meta):
        verbose_name = _("kind of step")
        verbose_name_plural = _("kinds of step")

    def lookup_keys(self):
        return [*super().lookup_keys(), *filter(None, (name.strip() for name in self.spellings.split(";")))]


class StepQuerySet(models.QuerySet):
    def for_page(self):
        return self.select_related("kind")

    def on_timeline(self):
        """The steps the timeline shows: those that mark no date of the agreement, whose
        milestones (signed, in force, ended) it shows already."""
        return self.filter(kind__marks="")


class Step(models.Model):
    """One step in the life of an agreement: its kind, when, and the official reference."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="steps"
    )
    kind = models.ForeignKey(StepKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="steps")
    date = models.DateField(_("date"))
    date_precision = precision_field()
    reference = models.CharField(
        _("reference"),
        max_length=200,
        blank=True,
        help_text=_("The official reference, e.g. Resolución Legislativa N° 30000 (El Peruano, 2018-06-10)."),
    )
    url = models.URLField(_("link"), max_length=500, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=500, blank=True)
    note_es = models.CharField(_("note (Spanish)"), max_length=500, blank=True)

    when = PartialDateAttribute("date")
    note = Translated("note")

    objects = StepQuerySet.as_manager()

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["agreement", "date", "kind__position", "pk"]
        indexes = [models.Index(fields=["date"])]

    def __str__(self):
        return f"{self.kind} ({self.when.isoformat() if self.date else '?'})"


def references_of(steps):
    """The steps' official references, as Agreement.step_references holds them."""
    return "; ".join(dict.fromkeys(step.reference for step in steps if step.reference))


def marking_steps(steps):
    """{(agreement pk, date field): step} of the steps that mark a date of their agreement:
    the earliest step of the kinds that mark each (StepKind.marks)."""
    earliest = {}
    for step in steps:
        key = step.agreement_id, step.kind.marks
        if step.kind.marks and (key not in earliest or step.when.start < earliest[key].when.start):
            earliest[key] = step
    return earliest


def dates_from_steps(steps):
    """{date field: PartialDate} of the dates an agreement's steps mark."""
    return {field: step.when for (_agreement, field), step in marking_steps(steps).items()}


class ConsentKind(models.TextChoices):
    RATIFICATION = "ratification", _("ratification")
    ACCESSION = "accession", _("accession")
    ACCEPTANCE = "acceptance", _("acceptance")
    APPROVAL = "approval", _("approval")
    DEFINITIVE_SIGNATURE = "definitive-signature", _("definitive signature")
    SUCCESSION = "succession", _("succession")


class ParticipantQuerySet(models.QuerySet):
    def for_page(self):
        return self.select_related("country", "organisation")

    def of_party(self, key):
        """The participations of a party, named as the filters name it (Participant.party_key)."""
        return self.filter(country=key) if key.isupper() else self.filter(organisation__slug=key)

    def bound(self):
        """The participations of parties that consented to be bound (ratified, acceded…)."""
        return self.exclude(consent_on=None)


# The orders of an agreement's table of participants, by the query parameter that asks for
# them: by party, or by one of the party's dates (the undated last).
PARTICIPANT_ORDERS = ("party", "signed", "consent", "in_force", "withdrawn")


def participants_in_order(participants, order):
    """The participants, in the order `order` names (the party's name if none or unknown)."""
    by_name = sorted(participants, key=lambda participant: str(participant.party).casefold())
    if order not in PARTICIPANT_ORDERS[1:]:
        return by_name

    def by_date(participant):
        when = getattr(participant, order)
        return (0, when.start) if when else (1, None)

    return sorted(by_name, key=by_date)


class Participant(models.Model):
    """A party to a multilateral agreement with its own dates, as the UN Treaty Collection
    lists each participant: a country, or an organisation such as the European Union."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="participants"
    )
    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signed_on_precision = precision_field()
    consent_on = models.DateField(_("consent to be bound"), null=True, blank=True)
    consent_on_precision = precision_field()
    consent_kind = models.CharField(_("how consent was given"), max_length=30, choices=ConsentKind.choices, blank=True)
    in_force_on = models.DateField(_("in force for it since"), null=True, blank=True)
    in_force_on_precision = precision_field()
    withdrawn_on = models.DateField(_("withdrew on"), null=True, blank=True)
    withdrawn_on_precision = precision_field()

    signed = PartialDateAttribute("signed_on")
    consent = PartialDateAttribute("consent_on")
    in_force = PartialDateAttribute("in_force_on")
    withdrawn = PartialDateAttribute("withdrawn_on")

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.CheckConstraint(
                condition=Q(country__isnull=False, organisation__isnull=True)
                | Q(country__isnull=True, organisation__isnull=False),
                name="participant_is_a_country_or_an_organisation",
            ),
            models.UniqueConstraint(fields=["agreement", "country"], name="participant_country_once"),
            models.UniqueConstraint(fields=["agreement", "organisation"], name="participant_organisation_once"),
        ]
        indexes = [models.Index(fields=["country", "consent_on"]), models.Index(fields=["organisation", "consent_on"])]

    def __str__(self):
        return str(self.party)

    @property
    def party(self):
        return self.country if self.country_id else self.organisation

    @party.setter
    def party(self, entry):
        is_country = isinstance(entry, Country)
        self.country, self.organisation = (entry, None) if is_country else (None, entry)

    @property
    def party_key(self):
        """The party as the filters name it: a country's code, an organisation's slug."""
        return self.country_id or self.organisation.slug

    def clean(self):
        errors = {}
        if self.country_id is None and self.organisation_id is None:
            errors["country"] = _("Name the party: a country (its code or name) or an organisation.")
        if self.consent_kind and not self.consent_on:
            errors["consent_on"] = _("Give the date of the %(kind)s, or leave its kind empty.") % {
                "kind": self.get_consent_kind_display()
            }
        start = self.consent or self.signed
        if self.in_force and start and self.in_force.end < start.start:
            errors["in_force_on"] = _("Entry into force for the party (%(in_force)s) is before %(start)s.") % {
                "in_force": self.in_force.isoformat(),
                "start": start.isoformat(),
            }
        if self.withdrawn and self.in_force and self.withdrawn.end < self.in_force.start:
            errors["withdrawn_on"] = _("The withdrawal (%(withdrawn)s) is before the entry into force for it.") % {
                "withdrawn": self.withdrawn.isoformat()
            }
        if errors:
            raise ValidationError(errors)
