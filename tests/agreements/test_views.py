import csv
import io
import json
from datetime import date

import pytest
from django.db import connection

from agreements.models import BY_SIGNATURE, Agreement, AgreementStatus, AgreementType
from foreignpolicy.models import Country, Organisation, Topic
from foreignpolicy.partial_dates import Precision
from foreignpolicy.text import normalise
from tests.factories import AgreementFactory, DirectorateFactory
from tests.helpers import page_slugs, url

pytestmark = pytest.mark.django_db


def status(code):
    return AgreementStatus.objects.get(code=code)


@pytest.fixture
def agreements():
    dae = DirectorateFactory(slug="dae", acronym="DAE")
    chile = AgreementFactory(
        slug="pe-cl",
        title_en="Peru-Chile FTA",
        title_es="TLC Perú-Chile",
        signed_on=date(2006, 8, 22),
        in_force_on=date(2009, 3, 1),
        directorate=dae,
    )
    chile.countries.add(Country.objects.get(code="CL"))
    chile.topics.add(Topic.objects.get(slug="trade"))
    efta = AgreementFactory(
        slug="pe-efta",
        title_en="Peru-EFTA FTA",
        title_es="TLC Perú-AELC",
        signed_on=date(2010, 6, 24),
        in_force_on=date(2011, 7, 1),
    )
    efta.organisations.add(Organisation.objects.get(slug="efta"))
    brazil = AgreementFactory(
        slug="pe-br",
        title_en="Agreement with Brazil",
        title_es="Acuerdo con el Brasil",
        status=status("signed"),
        type=AgreementType.objects.get(slug="economic-complementation-agreement"),
        signed_on=date(2016, 4, 29),
        in_force_on=None,
    )
    brazil.countries.add(Country.objects.get(code="BR"))
    unasur = AgreementFactory(
        slug="unasur",
        title_en="UNASUR treaty",
        title_es="Tratado de la UNASUR",
        status=status("terminated"),
        signed_on=date(2008, 5, 23),
        in_force_on=date(2011, 3, 11),
        ended_on=date(2019, 5, 28),
    )
    draft = AgreementFactory(slug="draft", title_en="Secret draft", is_published=False)
    draft.countries.add(Country.objects.get(code="CL"))
    return {"chile": chile, "efta": efta, "brazil": brazil, "unasur": unasur}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["pe-br", "pe-efta", "unasur", "pe-cl"]),
        ({"status": "in_force"}, ["pe-efta", "pe-cl"]),
        ({"status": "terminated"}, ["unasur"]),
        ({"type": "economic-complementation-agreement"}, ["pe-br"]),
        ({"party": "CL"}, ["pe-cl"]),
        ({"party": "efta"}, ["pe-efta"]),
        ({"directorate": "dae"}, ["pe-cl"]),
        ({"topic": "trade"}, ["pe-cl"]),
        ({"signed_from": "2008", "signed_to": "2010"}, ["pe-efta", "unasur"]),
        ({"in_force_from": "2011"}, ["pe-efta", "unasur"]),
        ({"in_force_to": "2010"}, ["pe-cl"]),
        ({"q": "chile"}, ["pe-cl"]),
        ({"q": "peru"}, ["pe-efta", "pe-cl"]),
        ({"q": "tratado"}, ["unasur"]),
        ({"q": "TLC Peru AELC"}, ["pe-efta"]),
        ({"status": "in_force", "party": "CL"}, ["pe-cl"]),
    ],
)
def test_every_filter_selects_the_published_agreements_it_names(client, agreements, query, expected):
    response = client.get(url("agreements:list"), query)
    assert page_slugs(response) == expected
    assert f"{len(expected)} agreement" in response.content.decode()


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("signed", ["pe-br", "pe-efta", "unasur", "pe-cl"]),
        ("-signed", ["pe-cl", "unasur", "pe-efta", "pe-br"]),
        ("in_force", ["pe-efta", "unasur", "pe-cl", "pe-br"]),
        ("-in_force", ["pe-cl", "unasur", "pe-efta", "pe-br"]),
        ("title", ["pe-br", "pe-cl", "pe-efta", "unasur"]),
    ],
)
def test_agreements_can_be_ordered_by_signature_entry_into_force_or_title(client, agreements, ordering, expected):
    assert page_slugs(client.get(url("agreements:list"), {"ordering": ordering})) == expected


def test_ordering_by_title_follows_the_readers_language(client, agreements):
    spanish = page_slugs(client.get(url("agreements:list", "es"), {"ordering": "title"}))
    assert spanish == ["pe-br", "pe-efta", "pe-cl", "unasur"]


def test_active_filters_are_shown_and_each_can_be_removed(client, agreements):
    response = client.get(url("agreements:list"), {"status": "in_force", "party": "CL"})
    chips = response.context["active_filters"]
    assert [(label, value) for label, value, _ in chips] == [
        ("Status", "In force"),
        ("Country or organisation", "Chile"),
    ]
    assert chips[0][2] == "?party=CL"
    assert chips[1][2] == "?status=in_force"
    page = response.content.decode()
    assert 'href="?party=CL"' in page and 'href="?status=in_force"' in page


def test_pagination_keeps_the_filters(client):
    AgreementFactory.create_batch(30, status=status("signed"))
    AgreementFactory.create_batch(3)
    response = client.get(url("agreements:list"), {"status": "signed"})
    assert response.context["paginator"].count == 30
    assert 'href="?status=signed&amp;page=2"' in response.content.decode()
    second = client.get(url("agreements:list"), {"status": "signed", "page": 2})
    assert len(second.context["object_list"]) == 5


def test_an_unknown_filter_value_is_explained_not_a_server_error(client, agreements):
    response = client.get(url("agreements:list"), {"status": "vigent", "signed_from": "soon", "party": "CL"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Status: Select a valid choice" in page
    assert "Signed from (year): Enter a whole number." in page
    # Nothing is listed rather than what the other filters select, as if these had not been asked for.
    assert page_slugs(response) == [] and "Peru-Chile FTA" not in page


def test_the_csv_download_holds_exactly_the_filtered_rows_in_the_import_format(client, agreements):
    AgreementFactory.create_batch(30, status=status("in_force"))
    query = {"status": "in_force", "ordering": "title"}
    listed = client.get(url("agreements:list"), query).context["paginator"].object_list
    response = client.get(url("agreements:download", format="csv"), query)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="agreements.csv"' in response["Content-Disposition"]
    data = response.getvalue()  # a streamed response is read once
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {row["slug"] for row in rows} == {agreement.slug for agreement in listed}
    assert len(rows) == 32
    chile = next(row for row in rows if row["slug"] == "pe-cl")
    assert (chile["parties"], chile["status"], chile["signed_on"]) == ("CL", "in_force", "2006-08-22")


def test_the_json_download_holds_the_same_rows(client, agreements):
    response = client.get(url("agreements:download", format="json"), {"party": "CL"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    rows = json.loads(response.getvalue())
    assert [row["slug"] for row in rows] == ["pe-cl"]
    assert rows[0]["title_es"] == "TLC Perú-Chile"


def test_an_unknown_download_format_is_not_found(client, agreements):
    assert client.get(url("agreements:download", format="xml")).status_code == 404


def test_the_detail_page_shows_every_field_in_the_readers_language(client, agreements):
    chile = agreements["chile"]
    chile.signed_on_precision = Precision.MONTH
    chile.source_url = "https://www.acuerdoscomerciales.gob.pe/"
    chile.save()
    english = client.get(url("agreements:detail", slug="pe-cl")).content.decode()
    assert "Peru-Chile FTA" in english and "August 2006" in english and "1 March 2009" in english
    assert "Chile" in english and "https://www.acuerdoscomerciales.gob.pe/" in english and "Trade" in english
    spanish = client.get(url("agreements:detail", "es", slug="pe-cl")).content.decode()
    assert "TLC Perú-Chile" in spanish and "agosto de 2006" in spanish and "1 de marzo de 2009" in spanish
    assert "Comercio" in spanish


def test_drafts_are_not_found_by_the_public_but_staff_may_preview_them(client, admin_client, agreements):
    assert client.get(url("agreements:detail", slug="draft")).status_code == 404
    assert "Secret draft" not in client.get(url("agreements:list")).content.decode()
    preview = admin_client.get(url("agreements:detail", slug="draft"))
    assert preview.status_code == 200
    assert "Draft: only staff can see this page." in preview.content.decode()


def test_in_force_on_a_date_uses_entry_into_force_and_end(client, agreements):
    def in_force_on(day):
        return [
            agreement.slug for agreement in client.get(url("agreements:in_force"), {"on": day}).context["object_list"]
        ]

    assert sorted(in_force_on("2010-01-01")) == ["pe-cl"]
    assert sorted(in_force_on("2015-06-01")) == ["pe-cl", "pe-efta", "unasur"]
    assert sorted(in_force_on("2020-01-01")) == ["pe-cl", "pe-efta"]


@pytest.fixture
def conflicting():
    """The cases where status and dates tell different stories."""
    AgreementFactory(slug="dated", in_force_on=date(2009, 3, 1))
    AgreementFactory(slug="undated", title_en="ACE 50 Cuba", in_force_on=None)
    AgreementFactory(slug="signed-in-2011", status=status("signed"), signed_on=date(2011, 12, 6))
    AgreementFactory(slug="signed-but-dated", status=status("signed"), in_force_on=date(2012, 1, 1))
    AgreementFactory(slug="ended-undated", status=status("terminated"), in_force_on=date(2001, 1, 1))
    AgreementFactory(
        slug="ended-dated", status=status("terminated"), in_force_on=date(2001, 1, 1), ended_on=date(2013, 1, 1)
    )


def test_the_home_page_counts_as_in_force_what_the_page_of_agreements_in_force_lists_today(client, conflicting):
    today = client.get(url("agreements:in_force"))
    assert page_slugs(today) == ["dated", "undated"]  # undated last
    page = today.content.decode()
    assert "2 agreements in force on" in page
    assert "in force; date of entry into force not recorded" in page
    assert "only agreements whose status is “in force” are listed" in page
    home = client.get(url("home")).content.decode()
    assert f'<a href="{url("agreements:in_force")}"><strong>2</strong> In force</a>' in home


def test_for_a_past_date_the_dates_alone_decide_and_the_page_says_what_it_does_with_undated_ones(client, conflicting):
    response = client.get(url("agreements:in_force"), {"on": "2012-06-01"})
    assert sorted(page_slugs(response)) == ["dated", "ended-dated", "ended-undated", "signed-but-dated"]
    assert "an agreement whose date of entry into force is not recorded cannot be placed" in response.content.decode()


def test_the_charts_follow_the_filters_and_have_a_table(client, agreements):
    response = client.get(url("agreements:list"), {"status": "in_force"})
    years = {bar.label: bar.value for bar in response.context["year_chart"]["bars"]}
    assert years["2006"] == 1 and years["2010"] == 1 and sum(years.values()) == 2
    statuses = {bar.label: bar.value for bar in response.context["status_chart"]["bars"]}
    assert statuses == {"Under negotiation": 0, "Signed, not in force": 0, "In force": 2, "No longer in force": 0}
    page = response.content.decode()
    assert "<svg" in page and "<table" in page and '<th scope="row">2006</th>' in page


@pytest.mark.parametrize("count", [3, 300])
def test_the_list_and_downloads_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    for agreement in AgreementFactory.create_batch(count):
        agreement.countries.add(Country.objects.get(code="CL"))
    with django_assert_max_num_queries(17):
        client.get(url("agreements:list"), {"party": "CL", "ordering": "title"})
    with django_assert_max_num_queries(8):
        client.get(url("agreements:download", format="csv"), {"party": "CL"}).getvalue()
    with django_assert_max_num_queries(10):
        client.get(url("agreements:detail", slug=Agreement.objects.first().slug))


def test_undated_agreements_come_last_by_default_on_every_database(client, agreements):
    AgreementFactory(slug="tisa", title_en="TISA", status=status("under_negotiation"), signed_on=None)
    assert page_slugs(client.get(url("agreements:list")))[-1] == "tisa"
    assert page_slugs(client.get(url("agreements:list"), {"status": ""}))[-1] == "tisa"


def test_the_agreements_in_force_are_paginated_keeping_the_date(client):
    AgreementFactory.create_batch(30, in_force_on=date(2010, 1, 1))
    AgreementFactory(slug="ended", in_force_on=date(2010, 1, 1), ended_on=date(2014, 1, 1))
    AgreementFactory(slug="draft-in-force", in_force_on=date(2010, 1, 1), is_published=False)
    response = client.get(url("agreements:in_force"), {"on": "2015-06-01"})
    assert len(response.context["object_list"]) == 25
    page = response.content.decode()
    assert "30 agreements in force on 1 June 2015" in page
    assert 'href="?on=2015-06-01&amp;page=2"' in page
    second = client.get(url("agreements:in_force"), {"on": "2015-06-01", "page": 2})
    slugs = page_slugs(response) + page_slugs(second)
    assert len(set(slugs)) == 30 and "ended" not in slugs and "draft-in-force" not in slugs


def test_the_agreements_in_force_load_only_what_the_page_shows(client, agreements):
    listed = client.get(url("agreements:in_force"), {"on": "2015-06-01"}).context["object_list"]
    deferred = listed[0].get_deferred_fields()
    assert {"summary_en", "summary_es", "search_text", "signed_on", "type_id", "status_id"} <= deferred
    assert not {"title_en", "title_es", "slug", "in_force_on", "ended_on"} & deferred
    assert "countries" not in getattr(listed[0], "_prefetched_objects_cache", {})


@pytest.mark.parametrize("count", [3, 300])
def test_the_agreements_in_force_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    for agreement in AgreementFactory.create_batch(count, in_force_on=date(2010, 1, 1)):
        agreement.countries.add(Country.objects.get(code="CL"))
    for page in (1, 2) if count > 25 else (1,):
        with django_assert_max_num_queries(5):
            assert client.get(url("agreements:in_force"), {"on": "2015-06-01", "page": page}).status_code == 200


def test_the_default_order_is_total_and_the_same_filtered_or_not(client):
    AgreementFactory.create_batch(30, title_en="Same title", signed_on=date(2001, 1, 1))
    unfiltered = page_slugs(client.get(url("agreements:list"))) + page_slugs(
        client.get(url("agreements:list"), {"page": 2})
    )
    filtered = page_slugs(client.get(url("agreements:list"), {"status": "in_force"})) + page_slugs(
        client.get(url("agreements:list"), {"status": "in_force", "page": 2})
    )
    assert unfiltered == filtered and len(set(unfiltered)) == 30


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index's order is PostgreSQL's question")
def test_the_default_order_is_read_from_an_index_without_sorting():
    AgreementFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Agreement.objects.public().order_by(*BY_SIGNATURE)[100:125].explain()
    assert "agreement_by_signature" in plan and "Sort" not in plan


@pytest.mark.parametrize(
    ("language", "empty_labels"),
    [
        ("en", ["All statuses", "All types", "All countries and organisations", "All directorates", "All topics"]),
        (
            "es",
            [
                "Todos los estados",
                "Todos los tipos",
                "Todos los países y organismos",
                "Todas las direcciones",
                "Todos los temas",
            ],
        ),
    ],
)
def test_the_filters_offer_all_first_then_choices_alphabetically_in_the_readers_language(
    client, agreements, language, empty_labels
):
    form = client.get(url("agreements:list", language)).context["filter"].form
    names = ["status", "type", "party", "directorate", "topic"]
    assert [list(form.fields[name].choices)[0][1] for name in names] == empty_labels
    for name in ("type", "topic", "directorate"):
        labels = [str(label) for value, label in list(form.fields[name].choices)[1:]]
        assert labels == sorted(labels, key=normalise), name
    countries = dict(list(form.fields["party"].choices)[1:])[("Countries" if language == "en" else "Países")]
    assert [label for _code, label in countries] == sorted((label for _code, label in countries), key=normalise)
    statuses = [value for value, _label in list(form.fields["status"].choices)[1:]]
    assert [str(value) for value in statuses] == ["under_negotiation", "signed", "in_force", "terminated"]
    assert "---------" not in client.get(url("agreements:list", language)).content.decode()
