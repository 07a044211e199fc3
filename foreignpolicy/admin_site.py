"""The admin site, `admin.site` (foreignpolicy.apps.StaffAdminConfig): Django's, with the
second step of staff login (foreignpolicy.two_step) between the password and every page."""

from django.apps import apps
from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import two_step_views
from .text import ministry_name
from .two_step import admitted_as_staff, awaits_second_step

# Sections of the admin's index as staff look for things, where an app's own grouping
# would mislead: imports are no reference vocabulary, and the login protection's four
# lists (from three libraries) are one matter. {(app label, model): section}
SECTIONS = {
    ("foreignpolicy", "ImportRecord"): "imports",
    ("axes", "AccessAttempt"): "staff_login",
    ("axes", "AccessLog"): "staff_login",
    ("otp_totp", "TOTPDevice"): "staff_login",
    ("otp_static", "StaticDevice"): "staff_login",
}
SECTION_NAMES = {"imports": _("Imports"), "staff_login": _("Staff login")}
# The libraries' lists, named in the staff member's language and for what they hold.
LIBRARY_MODEL_NAMES = {
    ("axes", "AccessAttempt"): (_("failed login"), _("failed logins")),
    ("axes", "AccessLog"): (_("login"), _("logins")),
    ("otp_totp", "TOTPDevice"): (_("authenticator app"), _("authenticator apps")),
    ("otp_static", "StaticDevice"): (_("set of recovery codes"), _("sets of recovery codes")),
}


def name_library_models():
    """Give the libraries' models the names above, wherever the admin shows them."""
    for (app_label, model_name), (singular, plural) in LIBRARY_MODEL_NAMES.items():
        options = apps.get_model(app_label, model_name)._meta
        options.verbose_name, options.verbose_name_plural = singular, plural


class StaffAdminSite(admin.AdminSite):
    def get_app_list(self, request, app_label=None):
        sections = {}
        app_list = []
        for app in super().get_app_list(request, app_label):
            kept = []
            for model in app["models"]:
                section = SECTIONS.get((app["app_label"], model["object_name"]))
                if section is None:
                    kept.append(model)
                else:
                    sections.setdefault(section, {**app, "name": SECTION_NAMES[section], "models": []})
                    sections[section]["models"].append(model)
            if kept:
                app_list.append({**app, "models": kept})
        return sorted([*app_list, *sections.values()], key=lambda app: str(app["name"]).lower())

    @property
    def site_header(self):
        return ministry_name()

    @property
    def site_title(self):
        return gettext("%(ministry)s: administration") % {"ministry": ministry_name()}

    def has_permission(self, request):
        return admitted_as_staff(request.user)

    def login(self, request, extra_context=None):
        # Whoever passed the password but not the second step goes on to it: from the
        # login page, and as soon as the password is accepted.
        if request.method != "POST" and awaits_second_step(request.user):
            return two_step_views.second_step_redirect(request)
        response = super().login(request, extra_context)
        if request.method == "POST" and awaits_second_step(request.user):
            return two_step_views.second_step_redirect(request)
        return response

    def get_urls(self):
        site = {"site": self}
        return [
            path("two-step/", two_step_views.verify, site, name="two_step"),
            path("two-step/set-up/", two_step_views.set_up, site, name="two_step_set_up"),
            path("two-step/log-out/", two_step_views.log_out, name="two_step_log_out"),
            path(
                "two-step/recovery-codes/",
                self.admin_view(two_step_views.recovery_codes),
                site,
                name="two_step_recovery_codes",
            ),
            *super().get_urls(),
        ]
