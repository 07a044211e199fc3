from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from pages import views
from pages.sitemaps import SITEMAPS

# Needing no database, as the failure may be the database's (foreignpolicy.error_pages).
handler500 = "foreignpolicy.error_pages.server_error"

topic_patterns = (
    [
        path("", views.TopicListView.as_view(), name="list"),
        path("<slug:slug>/", views.TopicView.as_view(), name="detail"),
    ],
    "topics",
)

urlpatterns = [
    path("admin/", admin.site.urls),
    # The index lists every page of every section (pages.sitemaps.LIMIT addresses each).
    path("sitemap.xml", sitemaps.index, {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"}, name="sitemap"),
    path("sitemap-<section>.xml", sitemaps.sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
    path("robots.txt", views.RobotsView.as_view(), name="robots"),
]

# Every public page lives under /es/… and /en/…; "/" sends the reader to the language
# their browser prefers, Spanish when it prefers neither.
urlpatterns += i18n_patterns(
    path("", views.HomeView.as_view(), name="home"),
    path(_("search/"), views.SearchView.as_view(), name="search"),
    path(_("topics/"), include(topic_patterns)),
    path(_("directorates/"), include("directorates.urls")),
    path(_("agreements/"), include("agreements.urls")),
    path(_("events/"), include("events.urls")),
)
