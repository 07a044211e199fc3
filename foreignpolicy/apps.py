from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ForeignPolicyConfig(AppConfig):
    name = "foreignpolicy"
    verbose_name = _("Reference vocabularies")

    def ready(self):
        from . import admin_site, page_cache

        page_cache.connect_signals()
        admin_site.name_library_models()


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with `admin.site` the site that asks staff for the second step."""

    # Not this package's own configuration.
    default = False
    default_site = "foreignpolicy.admin_site.StaffAdminSite"
