import re

import pytest

from agreements.models import Agreement
from events.models import Event
from pages.sitemaps import RecordSitemap
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.helpers import url

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    return {
        "agreement": AgreementFactory(
            slug="pe-ca",
            title_en="Free Trade Agreement between Peru and Canada",
            title_es="Tratado de Libre Comercio entre el Perú y Canadá",
        ),
        "event": EventFactory(slug="cop20", title_en="COP20 on Climate Change in Lima", title_es="COP20 en Lima"),
        "directorate": DirectorateFactory(
            slug="env", name_en="Directorate of Environment", name_es="Dirección de Medio Ambiente"
        ),
        "draft": AgreementFactory(slug="draft", title_en="Peru draft", is_published=False),
    }


def found(client, query, language="en"):
    response = client.get(url("search", language), {"q": query})
    kinds = ("directorates", "agreements", "events")
    return {
        kind: [str(result.record) for result in rows]
        for kind, (_, _, rows) in zip(kinds, response.context["results"], strict=True)
    }


@pytest.mark.parametrize("query", ["peru", "PERÚ", "Peru canada", "canadá", "tratado", "TRATADO libre"])
def test_search_ignores_accents_and_case_and_finds_both_languages(client, records, query):
    assert found(client, query)["agreements"] == ["Free Trade Agreement between Peru and Canada"]


def test_search_finds_every_kind_and_never_drafts(client, records):
    assert found(client, "lima") == {
        "directorates": [],
        "agreements": [],
        "events": ["COP20 on Climate Change in Lima"],
    }
    assert found(client, "medio ambiente", "es")["directorates"] == ["Dirección de Medio Ambiente"]
    assert "Peru draft" not in str(found(client, "peru draft"))


def test_search_matches_the_beginning_of_words(client, records):
    assert found(client, "canad")["agreements"] == ["Free Trade Agreement between Peru and Canada"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("TLC", ["Acuerdo de Libre Comercio Perú - Chile", "Free Trade Agreement between Peru and Canada"]),
        ("fta canada", ["Free Trade Agreement between Peru and Canada"]),
        (
            "tratado de libre comercio",
            ["Acuerdo de Libre Comercio Perú - Chile", "Free Trade Agreement between Peru and Canada"],
        ),
        ("ACE 58", ["ACE 58 Mercosur"]),
        ("APC", ["Peru–US Trade Promotion Agreement"]),
        ("OEA", ["Agreement with the OAS on electoral observation"]),
    ],
)
def test_acronyms_and_common_names_find_what_they_stand_for(client, records, query, expected):
    AgreementFactory(title_en="", title_es="Acuerdo de Libre Comercio Perú - Chile")
    AgreementFactory(title_en="ACE 58 Mercosur", title_es="Acuerdo de Complementación Económica N.° 58")
    AgreementFactory(title_en="Peru–US Trade Promotion Agreement", title_es="")
    AgreementFactory(title_en="Agreement with the OAS on electoral observation", title_es="")
    assert sorted(found(client, query)["agreements"]) == expected


def test_a_short_acronym_matches_whole_words_only(client, records):
    AgreementFactory(title_en="Agreement with the United Nations on peacekeeping")
    DirectorateFactory(name_en="Unit for the Union's affairs")
    assert found(client, "UN") == {
        "directorates": [],
        "agreements": ["Agreement with the United Nations on peacekeeping"],
        "events": [],
    }


def test_a_result_says_what_it_is_and_shows_the_matched_words_in_a_passage(client, records):
    from datetime import date

    from foreignpolicy.partial_dates import Precision

    AgreementFactory(
        title_en="Peru–Chile Free Trade Agreement",
        summary_en="Signed in Lima in 2006, the agreement with Chile covers goods, services & investment.",
        signed_on=date(2006, 8, 1),
        signed_on_precision=Precision.MONTH,
    )
    page = client.get(url("search"), {"q": "chile investment"}).content.decode()
    assert "Agreement · In force · signed August 2006" in page
    assert "<mark>Chile</mark> Free Trade Agreement" in page
    assert "the agreement with <mark>Chile</mark> covers goods, services &amp; <mark>investment</mark>." in page
    event = client.get(url("search"), {"q": "cop20"}).content.decode()
    assert "Summit · 10 December 2025" in event


def test_a_topic_page_gathers_its_directorates_agreements_and_events(client, records):
    for record in ("agreement", "event", "directorate"):
        records[record].topics.add(1)
    records["draft"].topics.add(1)
    page = client.get(url("topics:detail", slug="trade")).content.decode()
    assert "Directorate of Environment" in page and "COP20 on Climate Change" in page
    assert "Free Trade Agreement between Peru and Canada" in page and "Peru draft" not in page
    assert client.get(url("topics:detail", slug="nothing")).status_code == 404


def test_every_page_offers_the_same_record_in_the_other_language(client, records):
    page = client.get(url("agreements:detail", "es", slug="pe-ca")).content.decode()
    english = url("agreements:detail", "en", slug="pe-ca")
    assert f'<a href="{english}" hreflang="en" lang="en">English</a>' in page
    assert f'<link rel="alternate" hreflang="en" href="http://testserver{english}">' in page
    assert f'<link rel="canonical" href="http://testserver{url("agreements:detail", "es", slug="pe-ca")}">' in page


def test_the_language_switch_keeps_the_filters(client, records):
    page = client.get(url("agreements:list", "en"), {"status": "in_force"}).content.decode()
    assert f'href="{url("agreements:list", "es")}?status=in_force"' in page


def test_pages_have_titles_and_descriptions_for_shared_links(client, records):
    page = client.get(url("events:detail", slug="cop20")).content.decode()
    assert re.search(r"<title>COP20 on Climate Change in Lima · [^<]+</title>", page)
    assert '<meta name="description" content="' in page
    assert '<meta property="og:title" content="COP20 on Climate Change in Lima">' in page


def sitemap_pages(client):
    """The index, then {address: text} of every page it lists."""
    index = client.get("/sitemap.xml").content.decode()
    pages = [page.replace("&amp;", "&") for page in re.findall(r"<loc>http://testserver(/[^<]+)</loc>", index)]
    return index, {page: client.get(page).content.decode() for page in pages}


def test_the_sitemap_lists_published_records_in_both_languages(client, records):
    _, pages = sitemap_pages(client)
    sitemap = "".join(pages.values())
    assert url("agreements:detail", "es", slug="pe-ca") in sitemap
    assert url("agreements:detail", "en", slug="pe-ca") in sitemap
    assert 'hreflang="es"' in sitemap and 'hreflang="en"' in sitemap
    assert "/draft/" not in sitemap


def test_the_sitemap_index_pages_every_section(client, records, monkeypatch):
    monkeypatch.setattr(RecordSitemap, "limit", 4)
    AgreementFactory.create_batch(4)
    index, pages = sitemap_pages(client)
    assert "/sitemap-agreements.xml?p=3</loc>" in index and "?p=4" not in index.split("agreements")[-1]
    addresses = [
        address
        for page, text in pages.items()
        if page.startswith("/sitemap-agreements.xml")
        for address in re.findall(r"<url><loc>http://testserver([^<]+)</loc>", text)
    ]
    published = Agreement.objects.published()
    assert sorted(addresses) == sorted(
        url("agreements:detail", language, slug=agreement.slug) for agreement in published for language in ("es", "en")
    )
    assert all(text.count("<url>") <= 4 for page, text in pages.items() if page.startswith("/sitemap-agreements"))


@pytest.mark.parametrize("count", [3, 300])
def test_the_sitemap_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, monkeypatch, count):
    monkeypatch.setattr(RecordSitemap, "limit", 100)
    AgreementFactory.create_batch(count)
    EventFactory.create_batch(count)
    with django_assert_max_num_queries(8):
        index = client.get("/sitemap.xml").content.decode()
    for page in ("/sitemap-agreements.xml", "/sitemap-events.xml?p=2" if count > 50 else "/sitemap-events.xml"):
        with django_assert_max_num_queries(3):
            assert client.get(page).status_code == 200
    assert index.count("sitemap-agreements.xml") == (count * 2 + 99) // 100


def test_robots_txt_points_to_the_sitemap_and_keeps_out_of_the_admin(client):
    body = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in body and "Sitemap: http://testserver/sitemap.xml" in body


def test_no_page_loads_anything_from_another_site(client, records):
    for name, kwargs in [
        ("home", {}),
        ("agreements:list", {}),
        ("events:list", {}),
        ("agreements:detail", {"slug": "pe-ca"}),
    ]:
        page = client.get(url(name, **kwargs)).content.decode()
        loaded_from_elsewhere = r'<(script|link|img|iframe|source)\b[^>]*\b(src|href)="(https?:)?//(?!testserver)'
        assert not re.search(loaded_from_elsewhere, page), name


@pytest.mark.parametrize("name", ["home", "agreements:list", "events:list", "directorates:list"])
def test_an_unchanged_page_asked_again_with_its_etag_is_answered_304_without_a_body(client, name):
    AgreementFactory()
    first = client.get(url(name))
    assert first.status_code == 200 and first.has_header("ETag")
    again = client.get(url(name), headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_changed_page_asked_with_its_old_etag_is_sent_again(client, django_capture_on_commit_callbacks):
    AgreementFactory()
    first = client.get(url("agreements:list"))
    # Committed, as the admin's save would be: the page cache hears of it then.
    with django_capture_on_commit_callbacks(execute=True):
        AgreementFactory(title_en="A new agreement")
    changed = client.get(url("agreements:list"), headers={"if-none-match": first["ETag"]})
    assert changed.status_code == 200 and "A new agreement" in changed.content.decode()


def test_a_search_works_inside_another_query_as_the_timeline_nests_it(client, records):
    found = Agreement.objects.public().search("canada tlc")
    records["event"].agreements.add(records["agreement"])
    assert list(Event.objects.filter(agreements__in=found).values_list("slug", flat=True)) == ["cop20"]
    others = Agreement.objects.exclude(pk__in=found.values("pk")).values_list("slug", flat=True)
    assert list(others) == ["draft"]
