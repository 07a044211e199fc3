from django.db.models import Count, Prefetch, Q
from django.views.generic import TemplateView

from agreements.models import AgreementStatus
from directorates.models import Directorate
from events.models import Event

LATEST_EVENTS = 8


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        published_units = Directorate.objects.published()
        return super().get_context_data(
            statuses=AgreementStatus.objects.annotate(
                published_count=Count("agreements", filter=Q(agreements__is_published=True))
            ).order_by("position"),
            directorates=published_units.filter(parent=None).prefetch_related(
                Prefetch("children", queryset=published_units)
            ),
            events=Event.objects.published()[:LATEST_EVENTS],
            **kwargs,
        )
