import django_filters
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from directorates.models import Directorate
from foreignpolicy.filters import PartyFilter, SearchFilter, YearFilter
from foreignpolicy.models import Topic
from foreignpolicy.text import active_language

from .models import BY_SIGNATURE, Agreement, AgreementStatus, AgreementType


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


class AgreementFilter(django_filters.FilterSet):
    q = SearchFilter()
    status = django_filters.ModelChoiceFilter(
        label=_("Status"), queryset=AgreementStatus.objects.all(), to_field_name="code"
    )
    type = django_filters.ModelChoiceFilter(label=_("Type"), queryset=AgreementType.objects.all(), to_field_name="slug")
    party = PartyFilter(related="agreements")
    directorate = django_filters.ModelChoiceFilter(
        label=_("Responsible directorate"), queryset=Directorate.objects.public(), to_field_name="slug"
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Topic"), field_name="topics", queryset=Topic.objects.all(), to_field_name="slug"
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
