from django import forms
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from directorates.models import Directorate
from foreignpolicy.charts import bar_chart, column_chart, years_with_gaps
from foreignpolicy.filters import LazyChoices, party_choices
from foreignpolicy.public import PAGE_SIZE, DownloadView, FilteredListView, PagedMixin, RecordDetailView

from .filters import AgreementFilter
from .models import PARTICIPANT_ORDERS, Agreement, AgreementStatus, participants_in_order, status_decides
from .resources import AgreementResource, ParticipantResource, StepResource


class AgreementListView(FilteredListView):
    filterset_class = AgreementFilter
    template_name = "agreements/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["query_errors"]:
            # The page shows the form and its errors only: no chart of nothing.
            return context
        rows = self.get_queryset()
        statuses = dict(rows.by_status())
        list_url = reverse("agreements:list")
        context["year_chart"] = column_chart(years_with_gaps(rows.by_signature_year()))
        context["status_chart"] = bar_chart(
            (status.name, statuses.get(status.code, 0), f"{list_url}?status={status.code}")
            for status in AgreementStatus.objects.all()
        )
        return context


# The headings of the table of participants, in PARTICIPANT_ORDERS' order.
PARTICIPANT_COLUMNS = (_("Party"), _("Signature"), _("Consent to be bound"), _("Entry into force"), _("Withdrawal"))


class AgreementDetailView(RecordDetailView):
    model = Agreement
    template_name = "agreements/detail.html"

    def get_context_data(self, **kwargs):
        directorate = self.object.directorate
        carrying_on = Directorate.objects.published().carrying_on([directorate] if directorate else [])
        return super().get_context_data(
            events=self.object.events.public().order_by("-date"),
            relations=Agreement.objects.published().related_to(self.object),
            history=self.object.history(self.object.steps.for_page()),
            participants=participants_in_order(self.object.participants.for_page(), self.participant_order()),
            participant_order=self.participant_order(),
            participant_columns=list(zip(PARTICIPANT_ORDERS, PARTICIPANT_COLUMNS, strict=True)),
            directorate_now=carrying_on.get(directorate.pk, []) if directorate else [],
            **kwargs,
        )

    def participant_order(self):
        order = self.request.GET.get("participants", "")
        return order if order in PARTICIPANT_ORDERS else PARTICIPANT_ORDERS[0]


class AgreementDownloadView(DownloadView):
    filterset_class = AgreementFilter
    resource_class = AgreementResource


class StepDownloadView(AgreementDownloadView):
    """The steps of the agreements the filtered list selects."""

    resource_class = StepResource


class ParticipantDownloadView(AgreementDownloadView):
    """The participants of the agreements the filtered list selects."""

    resource_class = ParticipantResource


class InForceForm(forms.Form):
    on = forms.DateField(label=_("In force on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    party = forms.ChoiceField(label=_("For"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parties = LazyChoices(lambda: [("", _("Peru")), *party_choices("agreements")])
        self.fields["party"].choices = parties


class InForceView(PagedMixin, ListView):
    """The agreements in force on a date the reader picks, today when none."""

    template_name = "agreements/in_force.html"
    paginate_by = PAGE_SIZE

    def get_form(self):
        if not hasattr(self, "_form"):
            self._form = InForceForm(self.request.GET or {"on": timezone.localdate().isoformat()})
        return self._form

    def query_forms(self):
        return [self.get_form(), *super().query_forms()]

    def day(self):
        return None if self.query_errors() else self.get_form().cleaned_data["on"] or timezone.localdate()

    def get_queryset(self):
        agreements, day = Agreement.objects.public().for_in_force(), self.day()
        if day is None:
            return agreements.none()
        party = self.get_form().cleaned_data["party"]
        in_force = agreements.in_force_for(party, day) if party else agreements.in_force_on(day)
        if not status_decides(day):
            return in_force.order_by("-in_force_on", "slug")  # all dated: the index's order
        # Undated ones (in force today by their status) after the dated ones.
        return in_force.order_by(F("in_force_on").desc(nulls_last=True), "slug")

    def get_context_data(self, **kwargs):
        day = self.day()
        by_status = day is not None and status_decides(day)
        return super().get_context_data(form=self.get_form(), day=day, by_status=by_status, **kwargs)
