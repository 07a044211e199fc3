"""What the site's commands share: their messages in the language --language names, and
the account that imports and restores are recorded under."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

IMPORT_ACCOUNT = "import"


class LocalisedCommand(BaseCommand):
    """A command that speaks the staff member's language: --language (default: the site's)."""

    def add_arguments(self, parser):
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="Language of the messages (default: %(default)s).",
        )

    def execute(self, *args, **options):
        # Around the whole run, so that every message, an error's too, is in that language.
        with translation.override(options.get("language") or settings.LANGUAGE_CODE):
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
