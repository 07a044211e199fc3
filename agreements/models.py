from dataclasses import dataclass

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, OrderBy, Q, Value
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


@versioned
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
        """The references as searched: "ACE 58" and "RTA 123" find their agreement."""
        return " ".join(
            str(value)
            for value in (
                self.depositary_en,
                self.depositary_es,
                self.unts_number,
                self.wto_rta_id and f"RTA {self.wto_rta_id}",
                self.aladi_code,
                self.archive_code,
            )
            if value
        )

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
