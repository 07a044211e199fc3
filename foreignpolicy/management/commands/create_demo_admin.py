import re
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext as _

from foreignpolicy.management.base import LocalisedCommand

USERNAME = "admin"
DEFAULT_SQLITE = settings.BASE_DIR / "db.sqlite3"


def password_file():
    """Where the demo admin's password is kept: a file for each database, so that running
    the demo on SQLite and on PostgreSQL by turns keeps each one's password."""
    database = settings.DATABASES["default"]
    if connection.vendor == "sqlite" and Path(database["NAME"]) == DEFAULT_SQLITE:
        return settings.BASE_DIR / "var" / "admin-password.txt"
    name = re.sub(r"[^\w.]+", "-", f"{connection.vendor}-{database.get('HOST') or ''}-{database['NAME']}").strip("-")
    return settings.BASE_DIR / "var" / f"admin-password-{name}.txt"


class Command(LocalisedCommand):
    help = (
        "Create the demo's superuser “admin” with a random password, kept in var/ (a file for each database, never a "
        "fixed password), and say how to log in."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--address", default="127.0.0.1:8000", help="Where the site runs (default: %(default)s).")

    def handle(self, address, **options):
        kept = password_file()
        user = get_user_model().objects.filter(username=USERNAME).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = get_user_model().objects.create_superuser(USERNAME, email="", password=password)
            kept.parent.mkdir(exist_ok=True)
            kept.write_text(password + "\n")
            kept.chmod(0o600)
        password = kept.read_text().strip() if kept.exists() else None
        if password and user.check_password(password):
            where = kept.relative_to(settings.BASE_DIR)
            message = _("Admin: %(address)s  user “%(user)s”  password “%(password)s” (kept in %(file)s)")
            values = {"address": f"http://{address}/admin/", "user": USERNAME, "password": password, "file": where}
            self.stdout.write(self.style.SUCCESS(message % values))
        else:
            message = _("User “%(user)s” exists; set a new password with: python manage.py changepassword %(user)s")
            self.stdout.write(message % {"user": USERNAME})
