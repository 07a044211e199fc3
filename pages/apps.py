from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The pages that gather all three kinds (home, search, topics, the sitemap) and the
    demo: the one app that depends on all the others."""

    name = "pages"
