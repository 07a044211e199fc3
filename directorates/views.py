from django.views.generic import ListView, View

from foreignpolicy.public import RecordDetailView, download_response

from .models import Directorate
from .resources import DirectorateResource

LATEST_EVENTS = 10


class DirectorateListView(ListView):
    template_name = "directorates/list.html"

    def get_queryset(self):
        return Directorate.objects.public().tree()


class DirectorateDetailView(RecordDetailView):
    model = Directorate
    template_name = "directorates/detail.html"

    def get_context_data(self, **kwargs):
        directorate = self.object
        return super().get_context_data(
            children=directorate.children.public().order_by("position", "name_en"),
            successors=directorate.successors.published().order_by("position", "name_en"),
            agreements=directorate.agreements.public().select_related("status").order_by("-signed_on"),
            events=directorate.events.public().order_by("-date")[:LATEST_EVENTS],
            **kwargs,
        )


class DirectorateDownloadView(View):
    """All published directorates, in the import format."""

    def get(self, request, format):
        return download_response(DirectorateResource, Directorate.objects.public(links=True), format)
