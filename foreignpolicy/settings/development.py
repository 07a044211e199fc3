"""Local development and the README's demo: DEBUG on, a secret key kept in var/."""

import secrets

from .base import *  # noqa: F403
from .base import BASE_DIR, env_bool

DEBUG = env_bool("DEBUG", True)


def _local_secret_key():
    # Generated once per checkout and kept out of git, so that sessions survive a
    # restart of runserver without a key ever being committed.
    path = BASE_DIR / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


if not SECRET_KEY:  # noqa: F405
    SECRET_KEY = _local_secret_key()

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
