from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from foreignpolicy.management.base import LocalisedCommand
from foreignpolicy.two_step import forget_second_step


class Command(LocalisedCommand):
    help = (
        "Remove a staff member's two-step verification, their authenticator app and recovery codes (a lost "
        "phone): they set it up again at their next login (docs/security.md, “Staff login”)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("username")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("There is no user “%(username)s”.") % {"username": username})
        apps, codes = forget_second_step(user)
        if not apps and not codes:
            self.stdout.write(_("“%(username)s” had no two-step verification.") % {"username": username})
            return
        removed = ", ".join(
            [
                ngettext("%(count)d authenticator app", "%(count)d authenticator apps", apps) % {"count": apps},
                ngettext("%(count)d unused recovery code", "%(count)d unused recovery codes", codes) % {"count": codes},
            ]
        )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Two-step verification of “%(username)s” removed (%(removed)s): "
                    "they set it up again at their next login."
                )
                % {"username": username, "removed": removed}
            )
        )
