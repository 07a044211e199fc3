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
