"""Login protection (docs/security.md, "Staff login"): repeated wrong passwords lock the
login out, per account and per address, until the wait is over or an administrator unlocks."""

import io
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from foreignpolicy import tasks
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password 42"
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
LOCKED = "Too many failed logins"


@pytest.fixture(autouse=True)
def english_admin(settings):
    """The admin in English unless a test asks for another language (it follows the browser's)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def adviser(django_user_model):
    return django_user_model.objects.create_user("adviser", password=PASSWORD, is_staff=True, is_superuser=True)


def log_in(client, username, password, **headers):
    return client.post(LOGIN, {"username": username, "password": password, "next": INDEX}, **headers)


def fail(client, times, username="adviser", **headers):
    return [log_in(client, username, "wrong password", **headers).status_code for _ in range(times)]


def test_wrong_passwords_are_refused_until_the_fifth_locks_the_account(client, adviser):
    assert fail(client, 4) == [200] * 4
    locked = log_in(client, "adviser", "wrong password")
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    assert "locked for 15 minutes" in locked.content.decode()
    assert locked["Retry-After"] == "900"


def test_once_locked_even_the_right_password_does_not_log_in(client, adviser):
    fail(client, 5)
    response = log_in(client, "adviser", PASSWORD)
    assert response.status_code == 429
    assert client.get(INDEX).status_code == 302  # back to the login: not logged in


def test_each_attempt_while_locked_starts_the_wait_again_and_the_lock_ends_after_it(client, adviser):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, 5)
    for minutes in (10, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert log_in(client, "adviser", PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=34), tick=False):
        assert log_in(client, "adviser", PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        assert log_in(client, "adviser", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("language", "title", "wait"),
    [
        ("en", "Too many failed logins", "Each attempt in the meantime starts the wait again"),
        ("es", "Demasiados intentos fallidos de inicio de sesión", "Cada intento mientras tanto vuelve a empezar"),
    ],
)
def test_the_lockout_page_speaks_the_staff_members_language(client, adviser, language, title, wait):
    fail(client, 5)
    page = log_in(client, "adviser", PASSWORD, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'lang="{language}"' in page
    assert title in page and wait in page


@pytest.mark.parametrize(
    ("contact", "advice"),
    [
        ("the web team, web@cancilleria.example", "ask the web team, web@cancilleria.example: a site administrator"),
        ("", "ask a site administrator: they can unlock the account."),
    ],
)
def test_the_lockout_page_names_whom_to_ask_or_a_site_administrator(client, adviser, settings, contact, advice):
    settings.STAFF_HELP_CONTACT = contact
    fail(client, 5)
    page = log_in(client, "adviser", PASSWORD).content.decode()
    assert advice in page
    assert "staff-login.css" in page


def test_one_address_trying_many_accounts_is_locked_out_for_every_account(client, adviser):
    for number in range(5):
        log_in(client, f"guess-{number}", "wrong password", REMOTE_ADDR="198.51.100.7")
    assert log_in(client, "adviser", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 429
    assert log_in(client, "adviser", PASSWORD, REMOTE_ADDR="198.51.100.8").status_code == 302


def test_one_account_tried_from_many_addresses_is_locked_out_from_every_address(client, adviser):
    for number in range(5):
        log_in(client, "adviser", "wrong password", REMOTE_ADDR=f"203.0.113.{number}")
    assert log_in(client, "adviser", PASSWORD, REMOTE_ADDR="192.0.2.1").status_code == 429


def test_fewer_failures_than_the_limit_lock_nothing(client, adviser):
    fail(client, 4)
    response = log_in(client, "adviser", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, INDEX)


def test_the_limit_and_the_wait_are_the_operators_to_set(client, adviser, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = settings.AXES_COOLOFF_TIME * 2
    assert fail(client, 2) == [200, 429]
    assert "locked for 30 minutes" in log_in(client, "adviser", PASSWORD).content.decode()


def test_resetting_the_username_from_the_command_line_unlocks_the_login(client, adviser):
    fail(client, 5)
    output = io.StringIO()
    call_command("axes_reset_username", "adviser", stdout=output)
    assert "attempts removed" in output.getvalue()
    assert log_in(client, "adviser", PASSWORD).status_code == 302
    assert client.get(INDEX).status_code == 200


def test_a_superuser_unlocks_a_login_by_deleting_its_attempts_in_the_admin(client, adviser, django_user_model):
    fail(client, 5)
    superuser = django_user_model.objects.create_superuser("operator", password=PASSWORD)
    operator = type(client)()
    operator.force_login(superuser)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert "adviser" in operator.get(changelist).content.decode()
    attempts = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    response = operator.post(changelist, {"action": "delete_selected", "_selected_action": attempts, "post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert log_in(client, "adviser", PASSWORD).status_code == 302


def test_the_login_attempts_admin_is_for_superusers_alone(client):
    permitted = StaffFactory(
        permissions=["axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accesslog"]
    )
    client.force_login(permitted)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    assert client.get(reverse("admin:axes_accesslog_changelist")).status_code == 403
    assert "Access attempts" not in client.get(INDEX).content.decode()


def test_logins_are_recorded_and_forgotten_after_a_year(client, adviser):
    log_in(client, "adviser", PASSWORD)
    log_in(client, "adviser", PASSWORD)
    AccessLog.objects.filter(pk=AccessLog.objects.earliest("pk").pk).update(
        attempt_time=timezone.now() - timedelta(days=366)
    )
    tasks.delete_old_logins()
    assert AccessLog.objects.count() == 1
    assert any(task.name == "delete_old_logins" for task in HUEY._registry.periodic_tasks)


class TestBehindTheProxy:
    """Production counts the address the one proxy appends to X-Forwarded-For."""

    @pytest.fixture(autouse=True)
    def production_address(self, settings):
        settings.AXES_CLIENT_IP_CALLABLE = "foreignpolicy.lockout.forwarded_client_address"

    def test_failures_count_against_the_address_the_proxy_saw_not_what_the_client_wrote(self, client, adviser):
        for number in range(5):
            forwarded = f"10.9.9.{number}, 198.51.100.7"  # the first written by the client
            log_in(client, f"guess-{number}", "wrong password", HTTP_X_FORWARDED_FOR=forwarded)
        assert AccessAttempt.objects.filter(ip_address="198.51.100.7").count() == 5
        assert log_in(client, "adviser", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
        assert log_in(client, "adviser", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302

    def test_a_header_that_names_no_address_counts_the_connections_own(self, client, adviser):
        response = log_in(client, "adviser", "wrong password", HTTP_X_FORWARDED_FOR="nonsense", REMOTE_ADDR="192.0.2.9")
        assert response.status_code == 200
        assert AccessAttempt.objects.get().ip_address == "192.0.2.9"
