"""Two-step verification for staff (docs/security.md, "Staff login"): required in
production, after the password: a code from an authenticator app, or a recovery code."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from foreignpolicy.two_step import authenticator_to_confirm, confirm_authenticator
from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password 42"
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
VERIFY = reverse("admin:two_step")
SET_UP = reverse("admin:two_step_set_up")
RECOVERY_CODES = reverse("admin:two_step_recovery_codes")
CHANGELIST = reverse("admin:agreements_agreement_changelist")


@pytest.fixture
def required(settings):
    settings.OTP_REQUIRED = True


@pytest.fixture(autouse=True)
def english_admin(settings):
    """The admin in English unless a test asks for another language (it follows the browser's)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def adviser(django_user_model):
    return django_user_model.objects.create_user("adviser", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def enrolled(adviser):
    """The adviser with an authenticator app set up; its recovery codes in `adviser.codes`."""
    device = authenticator_to_confirm(adviser)
    adviser.codes = confirm_authenticator(device)
    return adviser


def app_code(user, confirmed=True):
    """What the user's authenticator app shows now (the one being set up, unless `confirmed`)."""
    device = TOTPDevice.objects.get(user=user, confirmed=confirmed)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def later(seconds=31):
    """After the app's code has changed: each code logs in once."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds))


def log_in(client, next_page=INDEX):
    return client.post(LOGIN, {"username": "adviser", "password": PASSWORD, "next": next_page})


def enter(client, code, page=VERIFY, next_page=INDEX):
    return client.post(page, {"code": code, "next": next_page})


def said(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def errors(response):
    return response.context["form"].errors["code"]


class TestRequired:
    @pytest.fixture(autouse=True)
    def second_step_required(self, required):
        pass

    def test_a_password_alone_reaches_no_admin_page(self, client, enrolled):
        response = log_in(client, CHANGELIST)
        assert response.status_code == 302
        assert response["Location"] == f"{VERIFY}?next={CHANGELIST.replace('/', '%2F')}"
        for page in (INDEX, CHANGELIST, RECOVERY_CODES):
            assert client.get(page).status_code == 302

    def test_a_session_logged_in_without_the_second_step_is_sent_to_it(self, client, enrolled):
        client.force_login(enrolled)
        response = client.get(CHANGELIST, follow=True)
        assert response.redirect_chain[-1][0].startswith(VERIFY)
        assert "Enter the six-digit code your authenticator app shows for adviser" in response.content.decode()

    def test_the_code_from_the_app_opens_the_admin_at_the_page_asked_for(self, client, enrolled):
        log_in(client, CHANGELIST)
        response = enter(client, app_code(enrolled), next_page=CHANGELIST)
        assert (response.status_code, response["Location"]) == (302, CHANGELIST)
        assert client.get(CHANGELIST).status_code == 200

    def test_a_draft_is_previewed_only_after_the_second_step(self, client, enrolled):
        draft = AgreementFactory(slug="secret-draft", title_en="Secret draft", is_published=False)
        log_in(client)
        assert client.get(draft.get_absolute_url()).status_code == 404
        enter(client, app_code(enrolled))
        response = client.get(draft.get_absolute_url())
        assert response.status_code == 200
        assert "Secret draft" in response.content.decode()

    def test_a_wrong_code_is_refused_with_a_message_and_opens_nothing(self, client, enrolled):
        log_in(client)
        wrong = f"{(int(app_code(enrolled)) + 1) % 1_000_000:06d}"
        response = enter(client, wrong)
        assert response.status_code == 200
        assert errors(response) == ["This code is wrong, or was used already. Enter the code the app shows now."]
        assert client.get(INDEX).status_code == 302

    def test_right_after_a_wrong_code_even_the_right_one_waits(self, client, enrolled):
        log_in(client)
        enter(client, f"{(int(app_code(enrolled)) + 1) % 1_000_000:06d}")
        response = enter(client, app_code(enrolled))
        assert errors(response) == ["After a wrong code, the next can be tried in 1 second."]
        with later(seconds=2):
            assert enter(client, app_code(enrolled)).status_code == 302

    def test_wrong_recovery_codes_slow_down_the_recovery_codes_alone(self, client, enrolled):
        log_in(client)
        enter(client, "not a code")
        assert errors(enter(client, enrolled.codes[0])) == ["After a wrong code, the next can be tried in 1 second."]
        assert enter(client, app_code(enrolled)).status_code == 302

    def test_a_code_from_the_app_works_once(self, client, enrolled):
        code = app_code(enrolled)
        log_in(client)
        assert enter(client, code).status_code == 302
        client.post(reverse("admin:logout"))
        log_in(client)
        assert errors(enter(client, code))[0].startswith("This code is wrong, or was used already.")

    def test_a_recovery_code_logs_in_once_and_only_once(self, client, enrolled):
        code = enrolled.codes[0]
        log_in(client)
        response = enter(client, f" {code[:4].upper()} {code[4:]}")  # as read off paper
        assert response.status_code == 302
        assert said(response) == [
            "You logged in with a recovery code, which no longer works. 9 recovery codes are left."
        ]
        assert client.get(INDEX).status_code == 200
        client.post(reverse("admin:logout"))
        log_in(client)
        response = enter(client, code)
        assert response.status_code == 200
        assert errors(response) == ["This code is wrong, or was used already. Enter the code the app shows now."]
        assert client.get(INDEX).status_code == 302

    def test_with_few_recovery_codes_left_the_staff_member_is_told_to_make_new_ones(self, client, enrolled):
        StaticToken.objects.exclude(token__in=enrolled.codes[:3]).delete()
        log_in(client)
        assert said(enter(client, enrolled.codes[0]))[-1] == (
            "Make new recovery codes under “Two-step verification”, at the top."
        )

    def test_a_staff_member_without_an_app_sets_one_up_after_the_password(self, client, adviser):
        response = log_in(client, CHANGELIST)
        assert response["Location"] == f"{SET_UP}?next={CHANGELIST.replace('/', '%2F')}"
        page = client.get(response["Location"]).content.decode()
        device = TOTPDevice.objects.get(user=adviser, confirmed=False)
        assert re.search(r'<svg [^>]*class="two-step-qr"', page)
        assert " style=" not in page and "<script>" not in page
        assert " ".join(re.findall(r"<code class=\"two-step-secret\">([A-Z2-7 ]+)</code>", page)).replace(" ", "")
        assert client.get(CHANGELIST).status_code == 302  # nothing before the app is confirmed

        code = app_code(adviser, confirmed=False)
        response = enter(client, f"{code[:3]} {code[3:]}", page=SET_UP, next_page=CHANGELIST)  # as apps show it
        assert response.status_code == 302 and response["Location"].startswith(RECOVERY_CODES)
        assert said(response) == ["Two-step verification is on: log in with your password and a code."]
        device.refresh_from_db()
        assert device.confirmed
        codes_page = client.get(response["Location"]).content.decode()
        shown = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
        assert len(shown) == 10
        assert sorted(shown) == sorted(StaticToken.objects.filter(device__user=adviser).values_list("token", flat=True))
        assert f'href="{CHANGELIST}"' in codes_page
        assert client.get(CHANGELIST).status_code == 200

        again = client.get(RECOVERY_CODES).content.decode()
        assert not set(shown) & set(re.findall(r"[a-z2-7]{8}", again))  # shown once
        assert "You have 10 unused recovery codes." in again

    def test_the_key_shown_as_text_is_the_one_in_the_qr_code(self, client, adviser):
        log_in(client)
        page = client.get(SET_UP).content.decode()
        device = TOTPDevice.objects.get(user=adviser)
        typed = re.search(r'<code class="two-step-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
        assert f"secret={typed}" in device.config_url
        assert "issuer=foreignpolicy" in device.config_url

    def test_reloading_the_set_up_page_keeps_the_key_already_scanned(self, client, adviser):
        log_in(client)
        first, second = (client.get(SET_UP).content.decode() for _ in range(2))
        key = r'<code class="two-step-secret">([A-Z2-7 ]+)</code>'
        assert re.search(key, first).group(1) == re.search(key, second).group(1)
        qr_code = r"<svg [^>]*class=\"two-step-qr\".*?</svg>"
        assert re.search(qr_code, first).group() == re.search(qr_code, second).group()
        assert TOTPDevice.objects.filter(user=adviser).count() == 1

    def test_a_wrong_code_while_setting_up_says_what_to_check(self, client, adviser):
        log_in(client)
        client.get(SET_UP)
        response = enter(client, "123", page=SET_UP)
        assert errors(response) == [
            "This is not the code the app shows now. Check that the phone's clock is right, and try again."
        ]
        assert not TOTPDevice.objects.get(user=adviser).confirmed

    def test_a_new_app_needs_the_second_step_first(self, client, enrolled):
        log_in(client)
        response = client.get(SET_UP)
        assert response["Location"].startswith(VERIFY)

    def test_after_the_second_step_a_new_phone_replaces_the_old_app(self, client, enrolled):
        old_app = TOTPDevice.objects.get(user=enrolled)
        log_in(client)
        enter(client, enrolled.codes[0])
        client.get(SET_UP)
        response = enter(client, app_code(enrolled, confirmed=False), page=SET_UP)
        assert response["Location"].startswith(RECOVERY_CODES)
        assert not TOTPDevice.objects.filter(pk=old_app.pk).exists()
        assert not StaticToken.objects.filter(token__in=enrolled.codes).exists()  # the old codes went too
        assert client.get(INDEX).status_code == 200

    def test_new_recovery_codes_replace_the_old_ones_and_are_shown_once(self, client, enrolled):
        log_in(client)
        enter(client, app_code(enrolled))
        response = client.post(RECOVERY_CODES, {"next": INDEX})
        assert said(response) == ["New recovery codes made: the old ones no longer work."]
        page = client.get(response["Location"]).content.decode()
        shown = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
        assert len(shown) == 10 and not set(shown) & set(enrolled.codes)
        client.post(reverse("admin:logout"))
        log_in(client)
        assert enter(client, enrolled.codes[1]).status_code == 200
        with later():
            assert enter(client, shown[0]).status_code == 302

    def test_the_second_step_pages_offer_a_way_out(self, client, enrolled):
        log_in(client)
        assert reverse("admin:two_step_log_out") in client.get(VERIFY).content.decode()
        response = client.post(reverse("admin:two_step_log_out"))
        assert (response.status_code, response["Location"]) == (302, LOGIN)
        assert client.get(VERIFY)["Location"].startswith(LOGIN)

    def test_only_addresses_of_this_site_are_followed_after_the_second_step(self, client, enrolled):
        log_in(client)
        response = enter(client, app_code(enrolled), next_page="https://elsewhere.example/admin/")
        assert response["Location"] == INDEX

    def test_whoever_has_not_passed_the_password_is_sent_to_the_login(self, client):
        for page in (VERIFY, SET_UP, RECOVERY_CODES):
            assert client.get(page)["Location"].startswith(LOGIN)

    def test_the_second_step_asks_nothing_of_someone_not_staff(self, client, django_user_model):
        reader = django_user_model.objects.create_user("reader", password=PASSWORD)
        client.force_login(reader)
        assert client.get(SET_UP)["Location"].startswith(LOGIN)
        assert not TOTPDevice.objects.exists()

    @pytest.mark.parametrize(
        ("language", "text"), [("en", "Set up two-step verification"), ("es", "Configure la verificación en dos pasos")]
    )
    def test_the_set_up_page_speaks_the_staff_members_language(self, client, adviser, language, text):
        log_in(client)
        page = client.get(SET_UP, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f"<h2>{text}</h2>" in page


class TestOptional:
    """Development and the tests: staff log in with their password alone, unless they set up an app."""

    def test_a_password_alone_opens_the_admin(self, client, adviser):
        response = log_in(client, CHANGELIST)
        assert (response.status_code, response["Location"]) == (302, CHANGELIST)
        assert client.get(CHANGELIST).status_code == 200

    def test_who_set_up_an_app_is_asked_for_its_code_all_the_same(self, client, enrolled):
        assert log_in(client)["Location"].startswith(VERIFY)
        assert client.get(INDEX).status_code == 302
        assert enter(client, app_code(enrolled)).status_code == 302
        assert client.get(INDEX).status_code == 200

    def test_staff_may_set_up_an_app_from_the_admin(self, client, adviser):
        log_in(client)
        assert f'<a href="{RECOVERY_CODES}">Two-step verification</a>' in client.get(INDEX).content.decode()
        page = client.get(RECOVERY_CODES).content.decode()
        assert "Two-step verification is not set up for your account" in page and f'href="{SET_UP}"' in page
        client.get(SET_UP)
        assert enter(client, app_code(adviser, confirmed=False), page=SET_UP)["Location"].startswith(RECOVERY_CODES)

    def test_no_recovery_codes_without_an_app(self, client, adviser):
        log_in(client)
        response = client.post(RECOVERY_CODES)
        assert said(response) == ["Set up an authenticator app first: recovery codes stand in for it."]
        assert not StaticToken.objects.exists()


class TestReset:
    """A lost phone: an operator removes the app and the codes; the staff member sets up anew."""

    def test_the_command_removes_the_app_and_the_codes(self, client, enrolled, required):
        output = io.StringIO()
        call_command("reset_2fa", "adviser", stdout=output)
        assert output.getvalue().strip() == (
            "Two-step verification of “adviser” removed (1 authenticator app, 10 unused recovery codes): "
            "they set it up again at their next login."
        )
        assert log_in(client)["Location"].startswith(SET_UP)

    def test_the_command_says_so_when_there_was_nothing_to_remove(self, adviser):
        output = io.StringIO()
        call_command("reset_2fa", "adviser", "--language", "es", stdout=output)
        assert output.getvalue().strip() == "«adviser» no tenía verificación en dos pasos."

    def test_the_command_names_an_unknown_user(self, db):
        with pytest.raises(CommandError, match="There is no user “nobody”."):
            call_command("reset_2fa", "nobody")

    def test_a_superuser_removes_someones_app_in_the_admin_without_seeing_its_key(
        self, client, enrolled, required, django_user_model
    ):
        operator = django_user_model.objects.create_superuser("operator", password=PASSWORD)
        authenticator_to_confirm(operator)
        operator_client = type(client)()
        operator_client.post(LOGIN, {"username": "operator", "password": PASSWORD, "next": INDEX})
        enter(operator_client, app_code(operator, confirmed=False), page=SET_UP)
        app = TOTPDevice.objects.get(user=enrolled)
        change_page = operator_client.get(reverse("admin:otp_totp_totpdevice_change", args=[app.pk]))
        assert change_page.status_code == 200 and app.key not in change_page.content.decode()
        deleted = operator_client.post(reverse("admin:otp_totp_totpdevice_delete", args=[app.pk]), {"post": "yes"})
        assert deleted.status_code == 302
        assert log_in(client)["Location"].startswith(SET_UP)
