"""While the database does not answer, readers get the last good copy of each page and
everyone else a 503 page; never a server error (foreignpolicy.database_away).

The database "goes away" by making every attempt to connect or to open a cursor raise
what Django raises when PostgreSQL is down or restarting."""

import itertools
import logging
import re
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, ProgrammingError, connections
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from foreignpolicy import database_away, page_cache
from tests.factories import AgreementFactory
from tests.helpers import url

pytestmark = pytest.mark.django_db

REFUSED = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


@contextmanager
def database_gone(error=None):
    connection = connections[DEFAULT_DB_ALIAS]
    failure = mock.Mock(side_effect=error or OperationalError(REFUSED))
    with (
        mock.patch.object(connection, "ensure_connection", failure),
        mock.patch.object(connection, "cursor", failure),
        mock.patch.object(connection, "chunked_cursor", failure),
    ):
        yield


@contextmanager
def database_lost_after(queries):
    """The connection answers `queries` cursors, then is gone, as when PostgreSQL restarts
    in the middle of a request."""
    connection = connections[DEFAULT_DB_ALIAS]
    real, opened = connection.cursor, itertools.count()

    def cursor(*args, **kwargs):
        if next(opened) >= queries:
            raise InterfaceError("connection already closed")
        return real(*args, **kwargs)

    with mock.patch.object(connection, "cursor", cursor):
        yield


@pytest.fixture(autouse=True)
def no_failures_logged_yet(monkeypatch):
    monkeypatch.setattr(database_away, "failures", database_away.Failures())


@pytest.fixture
def agreement():
    return AgreementFactory(slug="kept-agreement", title_en="Kept agreement")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def text(response):
    return response.content.decode()


def sections(response):
    """The 503 page's text in each language, in the order the page gives them."""
    return re.findall(r'<section lang="(\w+)">(.*?)</section>', text(response), re.S)


def test_a_cached_page_is_served_while_the_database_is_away(client, agreement):
    made = client.get(url("agreements:list"))
    with database_gone():
        again = client.get(url("agreements:list"))
    assert (again.status_code, again.content) == (200, made.content)
    assert "Kept agreement" in text(again)


def test_a_page_changed_since_it_was_cached_is_answered_from_its_last_good_copy(client, agreement, committed):
    made = client.get(url("agreements:list"))
    with committed():
        agreement.title_en = "Renamed agreement"
        agreement.save()
    with database_gone():
        again = client.get(url("agreements:list"))
    assert (again.status_code, again.content) == (200, made.content)
    assert "Renamed agreement" in text(client.get(url("agreements:list")))


@override_settings(PAGE_CACHE_SECONDS=1)
def test_a_page_past_its_freshness_is_answered_from_its_last_good_copy_until_the_database_is_back(client, agreement):
    made = client.get(url("agreements:detail", slug="kept-agreement"))
    time.sleep(1.1)
    with database_gone():
        again = client.get(url("agreements:detail", slug="kept-agreement"))
    assert (again.status_code, again.content) == (200, made.content)
    back = client.get(url("agreements:detail", slug="kept-agreement"))
    assert back.status_code == 200 and back.templates  # made again, from the database


def test_a_page_whose_database_is_lost_mid_request_is_answered_from_its_last_good_copy(client, agreement, committed):
    made = client.get(url("agreements:list"))
    with committed():
        AgreementFactory(title_en="Another agreement")
    with database_lost_after(queries=1):
        again = client.get(url("agreements:list"))
    assert (again.status_code, again.content) == (200, made.content)


def test_a_page_is_served_when_the_version_cannot_be_brought_up_to_date_without_the_database(client, agreement):
    made = client.get(url("home"))
    page_cache.versions().delete(page_cache.STATE_KEY)  # evicted: making it again asks the database
    with database_gone():
        again = client.get(url("home"))
    assert (again.status_code, again.content) == (200, made.content)


def test_a_page_never_cached_answers_the_503_page_in_both_languages_with_retry_after(client, agreement):
    with database_gone():
        spanish = client.get(url("agreements:list", language="es"))
        english = client.get(url("agreements:list", language="en"))
    assert spanish.status_code == english.status_code == 503
    assert spanish["Retry-After"] == english["Retry-After"] == "30"
    assert spanish["Cache-Control"] == "no-store"
    assert '<html lang="es">' in text(spanish) and "Ministerio de Relaciones Exteriores del Perú" in text(spanish)
    assert [code for code, _text in sections(spanish)] == ["es", "en"]
    assert [code for code, _text in sections(english)] == ["en", "es"]
    with translation.override("es"):
        in_spanish = gettext("The site is briefly unavailable")
    assert in_spanish in dict(sections(spanish))["es"]
    assert "The site is briefly unavailable" in dict(sections(spanish))["en"]


def test_the_503_page_is_not_stored_and_the_page_is_made_once_the_database_is_back(client, agreement):
    with database_gone():
        assert client.get(url("agreements:list")).status_code == 503
    back = client.get(url("agreements:list"))
    assert back.status_code == 200 and "Kept agreement" in text(back)


def test_a_withdrawn_page_is_not_brought_back_by_an_outage(client, agreement, committed):
    address = url("agreements:detail", slug="kept-agreement")
    assert client.get(address).status_code == 200
    with committed():
        agreement.is_published = False
        agreement.save()
    assert client.get(address).status_code == 410
    with database_gone():
        assert client.get(address).status_code == 503


def test_the_admin_answers_the_503_page(admin_client, client):
    with database_gone():
        index = admin_client.get(reverse("admin:index"))
        login = client.post(reverse("admin:login"), {"username": "admin", "password": "secret"})
    assert index.status_code == login.status_code == 503
    assert login["Retry-After"] == "30"
    assert "The site is briefly unavailable" in text(login)


def test_a_logged_in_staff_member_on_a_public_page_answers_the_503_page(client, admin_client, agreement):
    client.get(url("agreements:list"))  # cached for anonymous readers, not for staff
    with database_gone():
        assert admin_client.get(url("agreements:list")).status_code == 503


def test_the_failure_is_logged_once_as_a_warning_and_no_request_as_a_server_error(client, agreement, caplog):
    with caplog.at_level(logging.WARNING), database_gone():
        client.get(url("agreements:list"))
        client.get(url("directorates:list"))
    warnings = [record for record in caplog.records if record.name == "foreignpolicy.database_away"]
    assert [record.levelname for record in warnings] == ["WARNING"]
    assert isinstance(warnings[0].exc_info[1], OperationalError)
    # Django logs every answer of 400 or more; these are the 503s, without a traceback.
    assert {
        (record.name, record.status_code, record.exc_info) for record in caplog.records if record not in warnings
    } == {("django.request", 503, None)}


def test_each_incident_is_logged_then_at_most_once_a_minute_with_the_requests_since(caplog):
    now = [0.0]
    failures = database_away.Failures(clock=lambda: now[0])
    logged = []
    # A short incident, then from 15 s one that goes on, a failure every 4 s.
    for moment in (0, 1, 2, 15, *range(19, 76, 4)):
        now[0] = moment
        caplog.clear()
        failures.report(OperationalError(REFUSED))
        logged += [(moment, record.args[0]) for record in caplog.records]
    assert logged == [(0, 1), (15, 3), (75, 15)]


def test_a_wrong_query_is_still_a_server_error(client, agreement):
    missing_table = ProgrammingError('relation "agreements_agreement" does not exist')
    with database_gone(missing_table), pytest.raises(ProgrammingError):
        client.get(url("agreements:list"))
