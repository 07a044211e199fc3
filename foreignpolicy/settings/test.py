from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key-not-used-anywhere-else-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Jobs run as soon as they are queued, in the test's own process and transaction.
HUEY = {"name": "foreignpolicy-test", "huey_class": "huey.MemoryHuey", "immediate": True, "results": False}
# Pages and the version in this process's memory, emptied before each test (tests/conftest.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
# Staff log in with their password alone unless a test asks for the second step.
OTP_REQUIRED = False
