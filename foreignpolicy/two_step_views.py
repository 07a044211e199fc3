"""The pages of the second step (foreignpolicy.two_step): the code after the password,
setting up an authenticator app, and the recovery codes."""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.views import LogoutView
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as pass_device
from django_otp.plugins.otp_static.models import StaticDevice

from .two_step import (
    Throttled,
    authenticator_to_confirm,
    awaits_second_step,
    confirm_authenticator,
    confirms,
    device_accepting,
    has_authenticator,
    new_recovery_codes,
    recovery_codes_left,
)

# The codes just made, kept in the session until their page shows them, once.
FRESH_CODES = "two_step_fresh_recovery_codes"
FEW_CODES_LEFT = 3


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )

    def clean_code(self):
        # Apps show the code in groups, and recovery codes are read off paper: spaces and case aside.
        return "".join(self.cleaned_data["code"].split()).lower()


def next_address(request):
    """Where to go once through: the `next` the login page was given, if it is ours."""
    address = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(address, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return address
    return reverse("admin:index")


def with_next(url_name, request):
    return f"{reverse(url_name)}?{urlencode({'next': next_address(request)})}"


def second_step_redirect(request):
    """To the code, or to setting up an app for whoever has none."""
    url_name = "admin:two_step" if has_authenticator(request.user) else "admin:two_step_set_up"
    return HttpResponseRedirect(with_next(url_name, request))


def for_staff(view):
    """For whoever passed the password as staff, before or after the second step."""
    return never_cache(sensitive_post_parameters("code")(staff_member_required(view, login_url="admin:login")))


def checked(form, check, wrong):
    """What `check` returns for the form's code; None, with the form saying why, when the code
    is wrong (`wrong`) or django-otp asks to wait after several wrong ones."""
    try:
        result = check(form.cleaned_data["code"])
    except Throttled as throttled:
        form.add_error(
            "code",
            ngettext(
                "After a wrong code, the next can be tried in %(count)d second.",
                "After a wrong code, the next can be tried in %(count)d seconds.",
                throttled.seconds,
            )
            % {"count": throttled.seconds},
        )
        return None
    if not result:
        form.add_error("code", wrong)
    return result


def passed(request, device):
    pass_device(request, device)
    # A new session key with the session's new rights, as at login.
    request.session.cycle_key()


@for_staff
def verify(request, site):
    user = request.user
    if not awaits_second_step(user):
        return HttpResponseRedirect(next_address(request))
    if not has_authenticator(user):
        return second_step_redirect(request)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        wrong = gettext("This code is wrong, or was used already. Enter the code the app shows now.")
        device = checked(form, lambda code: device_accepting(user, code), wrong)
        if device:
            passed(request, device)
            if isinstance(device, StaticDevice):
                say_recovery_codes_left(request, recovery_codes_left(user))
            return HttpResponseRedirect(next_address(request))
    context = {
        **site.each_context(request),
        "title": gettext("Two-step verification"),
        "form": form,
        "next": next_address(request),
    }
    return render(request, "admin/foreignpolicy/two_step/verify.html", context)


def say_recovery_codes_left(request, count):
    messages.warning(
        request,
        ngettext(
            "You logged in with a recovery code, which no longer works. %(count)d recovery code is left.",
            "You logged in with a recovery code, which no longer works. %(count)d recovery codes are left.",
            count,
        )
        % {"count": count},
    )
    if count <= FEW_CODES_LEFT:
        messages.warning(request, gettext("Make new recovery codes under “Two-step verification”, at the top."))


@for_staff
def set_up(request, site):
    user = request.user
    if awaits_second_step(user) and has_authenticator(user):
        # A new app only once through with the present one (or a recovery code).
        return second_step_redirect(request)
    device = authenticator_to_confirm(user)
    form = CodeForm(request.POST or None)
    wrong = gettext("This is not the code the app shows now. Check that the phone's clock is right, and try again.")
    if form.is_valid() and checked(form, lambda code: confirms(device, code), wrong):
        codes = confirm_authenticator(device)
        passed(request, device)
        request.session[FRESH_CODES] = codes
        messages.success(request, gettext("Two-step verification is on: log in with your password and a code."))
        return HttpResponseRedirect(with_next("admin:two_step_recovery_codes", request))
    context = {
        **site.each_context(request),
        "title": gettext("Set up two-step verification"),
        "form": form,
        "qr_code": qr_code(device),
        "secret": secret_in_groups(device),
        "next": next_address(request),
    }
    return render(request, "admin/foreignpolicy/two_step/set_up.html", context)


def qr_code(device):
    """The app's settings as an <svg> element: no script, no style attribute, nothing fetched."""
    code = segno.make(device.config_url, error="m")
    # segno's own markup, with the title escaped by segno.
    return mark_safe(code.svg_inline(scale=5, light="#fff", svgclass="two-step-qr", title=gettext("QR code")))


def secret_in_groups(device):
    """The key in base 32, as apps take it typed in, in groups of four for the eye."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[start : start + 4] for start in range(0, len(secret), 4))


def recovery_codes(request, site):
    user = request.user
    if request.method == "POST":
        if not has_authenticator(user):
            messages.error(request, gettext("Set up an authenticator app first: recovery codes stand in for it."))
            return HttpResponseRedirect(reverse("admin:two_step_set_up"))
        request.session[FRESH_CODES] = new_recovery_codes(user)
        messages.success(request, gettext("New recovery codes made: the old ones no longer work."))
        return HttpResponseRedirect(with_next("admin:two_step_recovery_codes", request))
    context = {
        **site.each_context(request),
        "title": gettext("Two-step verification"),
        "codes": request.session.pop(FRESH_CODES, None),
        "codes_left": recovery_codes_left(user),
        "has_authenticator": has_authenticator(user),
        "next": next_address(request),
    }
    return render(request, "admin/foreignpolicy/two_step/recovery_codes.html", context)


log_out = LogoutView.as_view(next_page=reverse_lazy("admin:login"))
