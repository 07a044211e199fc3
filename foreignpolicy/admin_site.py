"""The admin site, `admin.site` (foreignpolicy.apps.StaffAdminConfig): Django's, with the
second step of staff login (foreignpolicy.two_step) between the password and every page."""

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext

from . import two_step_views
from .text import ministry_name
from .two_step import admitted_as_staff, awaits_second_step


class StaffAdminSite(admin.AdminSite):
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
