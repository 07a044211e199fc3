"""What the site's commands share: their messages in the language --language names, and
the account that imports and restores are recorded under."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

IMPORT_ACCOUNT = "import"


def operator_language():
    """The language of the operator's locale (the first of LC_ALL, LC_MESSAGES and LANG that
    is set, as POSIX reads them: "es_PE.UTF-8" is Spanish) when the site speaks it, else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := os.environ.get(name):
            code = value.split(".")[0].split("_")[0].lower()
            return code if code in dict(settings.LANGUAGES) else "en"
    return "en"


class LocalisedCommand(BaseCommand):
    """A command that speaks its operator's language: --language, or the locale's (LANG)."""

    def add_arguments(self, parser):
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the messages (default: the locale's, from LANG, or English).",
        )

    def execute(self, *args, **options):
        # Around the whole run, so that every message, an error's too, is in that language.
        with translation.override(options.get("language") or operator_language()):
            return super().execute(*args, **options)


def import_account(username=None):
    """The user a change is recorded under: `username`'s, or the non-login account "import"."""
    User = get_user_model()
    if username:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist as error:
            raise CommandError(f"No user named “{username}”.") from error
    account, created = User.objects.get_or_create(username=IMPORT_ACCOUNT, defaults={"is_active": False})
    if created:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    return account
