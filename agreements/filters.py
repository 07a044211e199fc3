import django_filters
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from directorates.models import Directorate
from foreignpolicy.filters import ChoiceOfFilter, PartyFilter, SearchFilter, YearFilter, grouped_parties
from foreignpolicy.models import Country, Organisation, Topic
from foreignpolicy.text import active_language

from .models import BY_SIGNATURE, Agreement, AgreementStatus, AgreementType, Participant


class TitleOrderingFilter(django_filters.OrderingFilter):
    """Orders by date of signature or entry into force (newest first) or by the title in
    the reader's language."""

    def filter(self, queryset, value):
        # Agreements without the date come last either way, on both databases.
        ordering = {
            # The default, as Agreement.Meta.ordering, which an index serves.
            "signed": BY_SIGNATURE,
            "-signed": [F("signed_on").asc(nulls_last=True), "slug"],
            "in_force": [F("in_force_on").desc(nulls_last=True), "slug"],
            "-in_force": [F("in_force_on").asc(nulls_last=True), "slug"],
            "title": [Lower(f"title_{active_language()}"), "slug"],
        }
        for key in value or []:
            if key in ordering:
                return queryset.order_by(*ordering[key])
        return queryset.order_by(*ordering["signed"])


class BoundPartyFilter(PartyFilter):
    """The agreements a party has ratified, acceded to or otherwise consented to be bound
    by, as its participation says (Participant.consent_on)."""

    def __init__(self):
        super().__init__(
            related="agreements",
            label=_("Ratified or acceded to by"),
            empty_label=_("All agreements"),
        )

    def choices(self):
        bound = Participant.objects.bound().filter(agreement__in=Agreement.objects.public().values("pk"))
        countries = Country.objects.filter(pk__in=bound.values("country"))
        organisations = Organisation.objects.filter(pk__in=bound.values("organisation"))
        return grouped_parties(countries.order_by(), organisations.order_by())

    def filter_party(self, queryset, name, value):
        return queryset.filter(pk__in=Participant.objects.bound().of_party(value).values("agreement"))


class AgreementFilter(django_filters.FilterSet):
    q = SearchFilter()
    status = ChoiceOfFilter(
        label=_("Status"),
        empty_label=_("All statuses"),
        queryset=AgreementStatus.objects.all(),
        to_field_name="code",
        alphabetical=False,
    )
    type = ChoiceOfFilter(label=_("Type"), empty_label=_("All types"), queryset=AgreementType.objects.all())
    party = PartyFilter(related="agreements")
    bound_party = BoundPartyFilter()
    directorate = ChoiceOfFilter(
        label=_("Responsible directorate"),
        empty_label=_("All directorates"),
        queryset=Directorate.objects.public(),
    )
    topic = ChoiceOfFilter(
        label=_("Topic"), empty_label=_("All topics"), field_name="topics", queryset=Topic.objects.all()
    )
    signed_from = YearFilter(label=_("Signed from (year)"), field_name="signed_on", lookup_expr="year__gte")
    signed_to = YearFilter(label=_("Signed until (year)"), field_name="signed_on", lookup_expr="year__lte")
    in_force_from = YearFilter(label=_("In force from (year)"), field_name="in_force_on", lookup_expr="year__gte")
    in_force_to = YearFilter(label=_("In force until (year)"), field_name="in_force_on", lookup_expr="year__lte")
    ordering = TitleOrderingFilter(
        label=_("Order by"),
        choices=[
            ("signed", _("Date of signature, newest first")),
            ("-signed", _("Date of signature, oldest first")),
            ("in_force", _("Entry into force, newest first")),
            ("-in_force", _("Entry into force, oldest first")),
            ("title", _("Title")),
        ],
        empty_label=_("Date of signature, newest first"),
    )

    class Meta:
        model = Agreement
        fields = []
