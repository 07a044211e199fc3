from django.urls import path

from . import views

app_name = "directorates"

urlpatterns = [
    path("", views.DirectorateListView.as_view(), name="list"),
    path("download.<str:format>", views.DirectorateDownloadView.as_view(), name="download"),
    path("<slug:slug>/", views.DirectorateDetailView.as_view(), name="detail"),
]
