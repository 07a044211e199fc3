import pytest
from django.urls import reverse
from django.utils import translation

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
        with django_assert_max_num_queries(7):
            assert client.get(reverse("home")).status_code == 200
