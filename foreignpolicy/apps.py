from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForeignPolicyConfig(AppConfig):
    name = "foreignpolicy"
    verbose_name = _("Reference vocabularies")

    def ready(self):
        from . import page_cache

        page_cache.connect_signals()
