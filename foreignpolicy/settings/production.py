"""Production: everything from the environment, and no start without a real secret key."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set it to false).")

if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):  # noqa: F405
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters, for example "
        "the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
# Off unless the operator says otherwise: the site usually lives on a subdomain of the
# ministry's domain (e.g. gob.pe), whose other hosts it cannot vouch for, and preloading is a
# promise for the whole domain that takes months to withdraw (docs/security.md, "HSTS").
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# check --deploy warns about each while it is off; that is the decision above, not an oversight.
SILENCED_SYSTEM_CHECKS = [
    check
    for check, enabled in (("security.W005", SECURE_HSTS_INCLUDE_SUBDOMAINS), ("security.W021", SECURE_HSTS_PRELOAD))
    if not enabled
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Staff login (docs/security.md, "Staff login"): staff pass the second step unless
# OTP_REQUIRED=false, and lockouts count the address the proxy saw.
OTP_REQUIRED = env_bool("OTP_REQUIRED", True)
AXES_CLIENT_IP_CALLABLE = "foreignpolicy.lockout.forwarded_client_address"
_SECOND_STEP = {"django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"}
if OTP_REQUIRED and not (
    set(INSTALLED_APPS) >= _SECOND_STEP and "django_otp.middleware.OTPMiddleware" in MIDDLEWARE  # noqa: F405
):
    raise ImproperlyConfigured(
        "OTP_REQUIRED needs django_otp, its otp_totp and otp_static apps and its OTPMiddleware installed."
    )
if not ("axes" in INSTALLED_APPS and "axes.middleware.AxesMiddleware" in MIDDLEWARE):  # noqa: F405
    raise ImproperlyConfigured("Login protection needs the axes app and its AxesMiddleware installed.")
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME.total_seconds() <= 0:  # noqa: F405
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be at least 1.")
