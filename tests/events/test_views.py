from datetime import date, timedelta

import pytest

from agreements.models import AgreementStatus
from events.models import EventType
from foreignpolicy.models import Country, Organisation, Topic
from foreignpolicy.partial_dates import Precision
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.helpers import url

pytestmark = pytest.mark.django_db


def event_type(slug):
    return EventType.objects.get(slug=slug)


@pytest.fixture
def timeline():
    opm = DirectorateFactory(slug="opm")
    summit = EventFactory(
        slug="summit-2018",
        title_en="VIII Summit of the Americas",
        title_es="VIII Cumbre de las Américas",
        date=date(2018, 4, 13),
        end_date=date(2018, 4, 14),
        location="Lima",
        country=Country.objects.get(code="PE"),
    )
    summit.organisations.add(Organisation.objects.get(slug="oas"))
    summit.directorates.add(opm)
    summit.topics.add(Topic.objects.get(slug="democracy-and-anti-corruption"))
    imo = EventFactory(
        slug="imo-2025",
        title_en="Re-elected to the IMO Council",
        date=date(2025, 11, 1),
        date_precision=Precision.MONTH,
        type=event_type("election-to-an-international-body"),
    )
    imo.organisations.add(Organisation.objects.get(slug="imo"))
    chile = EventFactory(
        slug="tacna-2025",
        title_en="Meeting with Chile in Tacna",
        date=date(2025, 12, 5),
        type=event_type("bilateral-meeting"),
    )
    chile.countries.add(Country.objects.get(code="CL"))
    EventFactory(slug="draft-2025", title_en="Draft event", date=date(2025, 12, 6), is_published=False)
    treaty = AgreementFactory(
        slug="pe-cl", title_en="Peru-Chile FTA", signed_on=date(2006, 8, 22), in_force_on=date(2009, 3, 1)
    )
    treaty.countries.add(Country.objects.get(code="CL"))
    chile.agreements.add(treaty)
    AgreementFactory(slug="secret", title_en="Draft agreement", signed_on=date(2025, 12, 1), is_published=False)
    return {"summit": summit, "imo": imo, "chile": chile, "treaty": treaty}


def entries(response):
    return [(entry.title, entry.label) for _, group in response.context["months"] for entry in group]


def test_the_timeline_opens_on_the_newest_year_grouped_by_month_newest_first(client, timeline):
    response = client.get(url("events:list"))
    assert response.context["year"] == 2025
    assert response.context["years"] == [2025, 2018, 2009, 2006]
    assert [month for month, _ in response.context["months"]] == [date(2025, 12, 1), date(2025, 11, 1)]
    assert entries(response) == [
        ("Meeting with Chile in Tacna", "Bilateral meeting"),
        ("Re-elected to the IMO Council", "Election to an international body"),
    ]
    page = response.content.decode()
    assert "December 2025" in page and "Draft event" not in page and "Draft agreement" not in page


def test_agreement_milestones_appear_among_the_events_marked_and_linked(client, timeline):
    response = client.get(url("events:list"), {"year": 2009})
    assert entries(response) == [("Peru-Chile FTA", "Agreement entered into force")]
    page = response.content.decode()
    assert 'class="milestone"' in page
    assert f'href="{url("agreements:detail", slug="pe-cl")}"' in page
    assert entries(client.get(url("events:list"), {"year": 2006})) == [("Peru-Chile FTA", "Agreement signed")]


@pytest.mark.parametrize(
    ("query", "expected_years"),
    [
        ({"party": "CL"}, [2025, 2009, 2006]),
        ({"party": "oas"}, [2018]),
        ({"directorate": "opm"}, [2018]),
        ({"agreement": "pe-cl"}, [2025, 2009, 2006]),
        ({"topic": "democracy-and-anti-corruption"}, [2018]),
        ({"type": "summit"}, [2018]),
        ({"type": "agreement-signing"}, [2006]),
        ({"date_from": "2009-01-01", "date_to": "2020-01-01"}, [2018, 2009]),
        ({"q": "cumbre americas"}, [2018]),
        ({"q": "chile"}, [2025, 2009, 2006]),
    ],
)
def test_every_filter_applies_to_events_and_milestones_alike(client, timeline, query, expected_years):
    assert client.get(url("events:list"), query).context["years"] == expected_years


def test_a_year_without_entries_falls_back_to_the_newest(client, timeline):
    assert client.get(url("events:list"), {"year": "1900"}).context["year"] == 2025
    assert client.get(url("events:list"), {"year": "abc"}).context["year"] == 2025


def test_the_event_page_shows_its_date_place_and_links(client, timeline):
    page = client.get(url("events:detail", "es", slug="summit-2018")).content.decode()
    assert "VIII Cumbre de las Américas" in page
    assert "13 de abril de 2018 – 14 de abril de 2018" in page
    assert "Lima, Perú" in page
    assert "OEA" in page
    english = client.get(url("events:detail", slug="summit-2018")).content.decode()
    assert "13 April 2018" in english and "OAS" in english


def test_a_draft_event_is_not_found_but_staff_may_preview_it(client, admin_client, timeline):
    assert client.get(url("events:detail", slug="draft-2025")).status_code == 404
    assert admin_client.get(url("events:detail", slug="draft-2025")).status_code == 200


def test_the_event_page_links_only_to_published_agreements(client, timeline):
    draft = AgreementFactory(slug="hidden", title_en="Hidden agreement", is_published=False)
    timeline["chile"].agreements.add(draft)
    page = client.get(url("events:detail", slug="tacna-2025")).content.decode()
    assert "Peru-Chile FTA" in page and "Hidden agreement" not in page


def test_the_downloads_hold_the_filtered_events(client, timeline):
    response = client.get(url("events:download", format="csv"), {"party": "CL"})
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("slug,title_en,title_es,date,end_date,type")
    assert [line.split(",")[0] for line in lines[1:]] == ["tacna-2025"]


def test_the_atom_feed_follows_the_filters(client, timeline):
    response = client.get(url("events:atom"), {"party": "oas"})
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = response.content.decode()
    assert feed.count("<entry>") == 1
    assert "VIII Summit of the Americas" in feed
    assert "?party=oas" in feed
    assert client.get(url("events:atom")).content.decode().count("<entry>") == 3


def test_the_filtered_page_links_its_feeds_with_the_same_filters(client, timeline):
    page = client.get(url("events:list"), {"party": "CL"}).content.decode()
    assert f"{url('events:atom')}?party=CL" in page
    assert f"{url('events:calendar')}?party=CL" in page


def test_the_calendar_holds_upcoming_events_as_all_day_entries(client, timeline):
    today = date.today()
    soon = EventFactory(
        slug="upcoming",
        title_en="Visit; with, punctuation",
        date=today + timedelta(days=10),
        end_date=today + timedelta(days=11),
        location="Lima",
    )
    soon.countries.add(Country.objects.get(code="CL"))
    EventFactory(
        slug="next-month",
        title_en="Later",
        date=(today + timedelta(days=40)).replace(day=1),
        date_precision=Precision.MONTH,
    )
    response = client.get(url("events:calendar"), {"party": "CL"})
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.count("BEGIN:VEVENT") == 1
    assert f"DTSTART;VALUE=DATE:{soon.date:%Y%m%d}" in body
    assert f"DTEND;VALUE=DATE:{soon.end_date + timedelta(days=1):%Y%m%d}" in body
    assert "SUMMARY:Visit\\; with\\, punctuation" in body
    assert "UID:upcoming@testserver" in body
    everything = client.get(url("events:calendar")).content.decode()
    assert everything.count("BEGIN:VEVENT") == 2
    assert all(len(line.encode()) <= 75 for line in everything.split("\r\n"))


def test_the_yearly_counts_by_type_are_charted_with_a_table(client, timeline):
    response = client.get(url("events:list"), {"year": 2025})
    assert {bar.label: bar.value for bar in response.context["type_chart"]["bars"]} == {
        "Bilateral meeting": 1,
        "Election to an international body": 1,
    }


@pytest.mark.parametrize("count", [3, 300])
def test_the_timeline_feeds_and_downloads_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    chile = Country.objects.get(code="CL")
    for event in EventFactory.create_batch(count, date=date.today() + timedelta(days=3)):
        event.countries.add(chile)
    for agreement in AgreementFactory.create_batch(count, status=AgreementStatus.objects.get(code="signed")):
        agreement.countries.add(chile)
    for name in ("events:list", "events:atom", "events:calendar"):
        with django_assert_max_num_queries(16):
            assert client.get(url(name), {"party": "CL"}).status_code == 200
    with django_assert_max_num_queries(10):
        client.get(url("events:download", format="json"), {"party": "CL"})
