"""Two-step verification for staff (docs/security.md, "Staff login"): after the password, a
code from an authenticator app (django-otp's TOTP device) or one of ten recovery codes,
each good once (its static device)."""

import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10
# The devices' names, as the device admins list them.
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"


class Throttled(Exception):
    """Too many wrong codes in a row: django-otp refuses to check another for `seconds`."""

    def __init__(self, seconds):
        super().__init__(seconds)
        self.seconds = seconds


def has_authenticator(user):
    # Asked more than once in one request (each admin page checks its permission twice).
    if not hasattr(user, "_has_authenticator"):
        user._has_authenticator = TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
    return user._has_authenticator


def is_verified(user):
    # OTPMiddleware gives each request's user `otp_device`; the user just logged in by
    # password in this request has none yet, and has not passed the second step either.
    return getattr(user, "otp_device", None) is not None


def second_step_required(user):
    """Of every staff member when OTP_REQUIRED; otherwise of those who set up an app."""
    return settings.OTP_REQUIRED or has_authenticator(user)


def awaits_second_step(user):
    """Logged in by password as staff, and not yet through a second step they need."""
    return user.is_active and user.is_staff and not is_verified(user) and second_step_required(user)


def admitted_as_staff(user):
    """Staff through every step of their login: what the admin and the drafts' previews ask."""
    return user.is_active and user.is_staff and not awaits_second_step(user)


def authenticator_to_confirm(user):
    """The app being set up: the same one until it is confirmed, so that reloading the page
    keeps the code already scanned good."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


@transaction.atomic
def confirm_authenticator(device):
    """Make `device` the user's one authenticator app; returns their new recovery codes."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user):
    """Ten new codes in place of those the user had, on the same device, so that a session
    that passed the second step with a recovery code stays verified."""
    devices = StaticDevice.objects.filter(user=user)
    StaticToken.objects.filter(device__in=devices).delete()
    device = devices.first() or StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def forget_second_step(user):
    """Remove the user's authenticator app and recovery codes (a lost phone): they set up a
    new app at their next login. Returns how many apps were set up and codes unused."""
    apps = TOTPDevice.objects.filter(user=user)
    confirmed = apps.filter(confirmed=True).count()
    apps.delete()
    _, codes = StaticDevice.objects.filter(user=user).delete()
    return confirmed, codes.get(StaticToken._meta.label, 0)


@transaction.atomic
def device_accepting(user, code):
    """The user's device that accepts `code` (as CodeForm cleans it: no spaces, lower case),
    used up by it, or None.

    Six digits are for the authenticator app, anything else for the recovery codes: each
    code is checked by one device only, so that a wrong one slows down that device alone.
    """
    kind = TOTPDevice if len(code) == 6 and code.isdigit() else StaticDevice
    for device in kind.objects.devices_for_user(user, confirmed=True).select_for_update():
        refuse_when_throttled(device)
        if device.verify_token(code):
            return device
    return None


def confirms(device, code):
    """Whether `code` is the app's current one, when it is being set up."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        refuse_when_throttled(device)
        return device.verify_token(code)


def refuse_when_throttled(device):
    allowed, details = device.verify_is_allowed()
    if not allowed and details.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        raise Throttled(max(1, math.ceil((details["locked_until"] - timezone.now()).total_seconds())))
