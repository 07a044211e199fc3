from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import AgreementFactory, DirectorateFactory, EventFactory

pytestmark = pytest.mark.django_db


def spanish(name, **kwargs):
    with translation.override("es"):
        return reverse(name, **kwargs)


def test_the_home_page_shows_published_records_and_never_drafts(client):
    parent = DirectorateFactory(name_es="Dirección General para Asuntos Multilaterales y Globales")
    DirectorateFactory(parent=parent, name_es="Dirección de Medio Ambiente")
    DirectorateFactory(parent=parent, name_es="Unidad en borrador", is_published=False)
    EventFactory(title_es="Cumbre de las Américas")
    EventFactory(title_es="Evento en borrador", is_published=False)
    AgreementFactory.create_batch(2)
    AgreementFactory(is_published=False)
    page = client.get(spanish("home")).content.decode()
    assert "Dirección de Medio Ambiente" in page
    assert "Cumbre de las Américas" in page
    assert f'<a href="{spanish("agreements:in_force")}"><strong>2</strong> Vigente</a>' in page
    assert "borrador" not in page


def test_the_site_root_sends_readers_to_their_language_spanish_by_default(client):
    assert client.get("/", headers={"accept-language": "en-GB,en;q=0.9"}).url == "/en/"
    assert client.get("/", headers={"accept-language": "fr"}).url == "/es/"
    assert client.get("/").url == "/es/"


def test_the_home_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for count in (3, 60):
        DirectorateFactory.create_batch(count, parent=DirectorateFactory())
        EventFactory.create_batch(count)
        with django_assert_max_num_queries(8):
            assert client.get(reverse("home")).status_code == 200


def test_upcoming_events_are_kept_apart_from_the_latest_past_ones(client):
    today = timezone.localdate()
    EventFactory(title_en="Summit next month", date=today + timedelta(days=30))
    EventFactory(title_en="Meeting going on", date=today - timedelta(days=1), end_date=today + timedelta(days=1))
    EventFactory(title_en="Visit last week", date=today - timedelta(days=7))
    EventFactory(title_en="Election last year", date=today - timedelta(days=365))
    page = client.get(reverse("home")).content.decode()
    upcoming = page[page.index("Upcoming events") : page.index("Latest events")]
    latest = page[page.index("Latest events") :]
    assert upcoming.index("Meeting going on") < upcoming.index("Summit next month")  # soonest first
    assert "Visit last week" not in upcoming and "Summit next month" not in latest
    assert latest.index("Visit last week") < latest.index("Election last year")  # newest first


def test_without_upcoming_events_the_home_page_has_no_such_heading(client):
    EventFactory(title_en="Visit last week", date=timezone.localdate() - timedelta(days=7))
    page = client.get(reverse("home")).content.decode()
    assert "Upcoming events" not in page and "Visit last week" in page
