import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"


class Command(BaseCommand):
    help = (
        "Create the demo's superuser “admin” with a random password, kept in var/admin-password.txt "
        "(never a fixed one), and say how to log in."
    )

    def handle(self, **options):
        password_file = settings.BASE_DIR / "var" / "admin-password.txt"
        User = get_user_model()
        if not User.objects.filter(username=USERNAME).exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(USERNAME, email="", password=password)
            password_file.parent.mkdir(exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        if password_file.exists():
            password = password_file.read_text().strip()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Admin: http://127.0.0.1:8000/admin/  user “{USERNAME}”  password “{password}” "
                    f"(kept in {password_file.relative_to(settings.BASE_DIR)})"
                )
            )
        else:
            self.stdout.write(
                f"User “{USERNAME}” exists; set a new password with: python manage.py changepassword admin"
            )
