from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.TimelineView.as_view(), name="list"),
    path("feed.atom", views.EventFeed(), name="atom"),
    path("upcoming.ics", views.CalendarView.as_view(), name="calendar"),
    path("download.<str:format>", views.EventDownloadView.as_view(), name="download"),
    path("<slug:slug>/", views.EventDetailView.as_view(), name="detail"),
]
