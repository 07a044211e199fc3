"""Login protection with django-axes (docs/security.md, "Staff login"): the page a login
gets while it is locked out, and who the client is behind production's proxy."""

import ipaddress
import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.utils.translation import gettext


def lockout_response(request, original_response, credentials):
    """429 Too Many Requests: the login was not even checked. Says when to try again and
    whom to ask; Retry-After says the same to a program."""
    seconds = int(get_cool_off(request).total_seconds())
    context = {
        **admin.site.each_context(request),
        "title": gettext("Too many failed logins"),
        "minutes": math.ceil(seconds / 60),
        "help_contact": settings.STAFF_HELP_CONTACT,
    }
    response = render(request, "admin/foreignpolicy/lockout.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def forwarded_client_address(request):
    """The address that reached the proxy: the last one in X-Forwarded-For, which the one
    proxy in front of the site appends (README, "Production topology"). Whatever comes
    before it the client may have written. Without a valid one, the connection's address."""
    last = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return request.META.get("REMOTE_ADDR")
