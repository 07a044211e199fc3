"""The pages a reader gets where there is no page: in the site's look, in both languages
(the reader's first), and the 500 page without the database."""

import pytest
from django.test import RequestFactory

from foreignpolicy.error_pages import server_error
from tests.factories import AgreementFactory
from tests.helpers import url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "browser", "location"),
    [
        ("/agreements/", "es", "/en/agreements/"),
        ("/acuerdos/", "en", "/es/acuerdos/"),
        ("/acuerdos/", "es", "/es/acuerdos/"),
        ("/agreements/pe-cl/?ordering=title", "es", "/en/agreements/pe-cl/?ordering=title"),
        ("/eventos/", "en", "/es/eventos/"),
        ("/events/feed.atom", "es", "/en/events/feed.atom"),
    ],
)
def test_an_address_without_its_language_leads_to_the_language_it_is_written_in(client, address, browser, location):
    AgreementFactory(slug="pe-cl")
    response = client.get(address, headers={"accept-language": browser})
    assert response.status_code == 302
    assert response["Location"] == location


@pytest.mark.parametrize(
    ("address", "first", "second"),
    [
        ("/en/no-such-page/", "Page not found", "Página no encontrada"),
        ("/es/no-existe/", "Página no encontrada", "Page not found"),
        ("/en/agreements/no-such-agreement/", "Page not found", "Página no encontrada"),
    ],
)
def test_a_missing_page_answers_404_in_the_sites_look_in_both_languages(client, address, first, second):
    response = client.get(address)
    assert response.status_code == 404
    page = response.content.decode()
    assert page.index(f"<h1>{first}</h1>") < page.index(f"<h1>{second}</h1>")
    assert 'class="site-header"' in page and '<meta name="robots" content="noindex">' in page
    assert 'href="/es/"' in page and 'href="/en/"' in page


def test_an_address_of_no_language_gets_the_404_page_in_the_browsers_language_first(client):
    response = client.get("/nowhere/", headers={"accept-language": "en"})
    page = response.content.decode()
    assert response.status_code == 404
    assert page.index("<h1>Page not found</h1>") < page.index("<h1>Página no encontrada</h1>")


def test_the_500_page_needs_no_database_and_speaks_both_languages(django_assert_num_queries):
    request = RequestFactory().get("/es/acuerdos/", headers={"accept-language": "en"})
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert page.index("<h1>Algo salió mal</h1>") < page.index("<h1>Something went wrong</h1>")
    assert "Ministerio de Relaciones Exteriores del Perú" in page
    assert 'href="/es/"' in page and 'href="/en/"' in page


def test_a_withdrawn_record_gives_its_notice_in_both_languages(client, admin_client):
    agreement = AgreementFactory(slug="pe-xx", title_en="Peru–X FTA", title_es="TLC Perú–X", is_published=True)
    admin_client.post("/admin/agreements/agreement/", {"action": "unpublish", "_selected_action": [agreement.pk]})
    page = client.get(url("agreements:detail", slug="pe-xx")).content.decode()
    assert page.index("“Peru–X FTA” was withdrawn") < page.index("“TLC Perú–X” se retiró")
