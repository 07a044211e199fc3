from datetime import date

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from foreignpolicy.charts import bar_chart, column_chart, years_with_gaps
from foreignpolicy.public import PAGE_SIZE, DownloadView, FilteredListView, RecordDetailView

from .filters import AgreementFilter
from .models import Agreement, AgreementStatus
from .resources import AgreementResource

YEAR_LABEL_EVERY = 5


class AgreementListView(FilteredListView):
    filterset_class = AgreementFilter
    template_name = "agreements/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = self.get_queryset()
        statuses = dict(rows.by_status())
        list_url = reverse("agreements:list")
        context["year_chart"] = column_chart(years_with_gaps(rows.by_signature_year()), label_every=YEAR_LABEL_EVERY)
        context["status_chart"] = bar_chart(
            (status.name, statuses.get(status.code, 0), f"{list_url}?status={status.code}")
            for status in AgreementStatus.objects.all()
        )
        return context


class AgreementDetailView(RecordDetailView):
    model = Agreement
    template_name = "agreements/detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(events=self.object.events.public().order_by("-date"), **kwargs)


class AgreementDownloadView(DownloadView):
    filterset_class = AgreementFilter
    resource_class = AgreementResource


class InForceForm(forms.Form):
    on = forms.DateField(label=_("In force on"), widget=forms.DateInput(attrs={"type": "date"}))


class InForceView(ListView):
    """The agreements in force on a date the reader picks."""

    template_name = "agreements/in_force.html"
    paginate_by = PAGE_SIZE

    def get_form(self):
        return InForceForm(self.request.GET or {"on": date.today().isoformat()})

    def get_queryset(self):
        form = self.get_form()
        day = form.cleaned_data["on"] if form.is_valid() else date.today()
        return Agreement.objects.public().for_in_force().in_force_on(day).order_by("-in_force_on", "slug")

    def get_context_data(self, **kwargs):
        form = self.get_form()
        return super().get_context_data(form=form, day=form.cleaned_data["on"] if form.is_valid() else None, **kwargs)
