from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "agreements"

urlpatterns = [
    path("", views.AgreementListView.as_view(), name="list"),
    path(_("in-force/"), views.InForceView.as_view(), name="in_force"),
    path("download.<str:format>", views.AgreementDownloadView.as_view(), name="download"),
    path(_("steps.<str:format>"), views.StepDownloadView.as_view(), name="download_steps"),
    path(_("participants.<str:format>"), views.ParticipantDownloadView.as_view(), name="download_participants"),
    path("<slug:slug>/", views.AgreementDetailView.as_view(), name="detail"),
]
