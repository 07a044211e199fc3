from datetime import date, timedelta

import icalendar
import pytest
from defusedxml import ElementTree
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats

from agreements.models import AgreementStatus
from events.models import EventType
from foreignpolicy.models import Country, Organisation, Topic
from foreignpolicy.partial_dates import Precision
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory, StepFactory
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


def test_an_event_linked_to_an_agreement_on_its_milestone_date_stands_for_that_milestone(client, timeline):
    oas = AgreementFactory(
        slug="oas-observation",
        title_en="Agreement with the OAS on the Electoral Observation Mission",
        signed_on=date(2026, 1, 1),
        signed_on_precision=Precision.MONTH,
        in_force_on=date(2026, 1, 1),
        in_force_on_precision=Precision.MONTH,
    )
    signing = EventFactory(
        title_en="Agreement with the OAS signed in Lima",
        date=date(2026, 1, 1),
        date_precision=Precision.MONTH,
        type=event_type("agreement-signing"),
    )
    signing.agreements.add(oas)
    AgreementFactory(title_en="Unrelated pact", signed_on=date(2026, 1, 1), signed_on_precision=Precision.MONTH)
    response = client.get(url("events:list"), {"year": 2026})
    assert entries(response) == [
        ("Agreement with the OAS signed in Lima", "Agreement signing"),
        ("Unrelated pact", "Agreement signed"),
    ]
    assert {bar.label: bar.value for bar in response.context["type_chart"]["bars"]} == {
        "Agreement signing": 1,
        "Agreement signed": 1,
    }
    # Where the event is not on the timeline, the milestones are.
    summits = client.get(url("events:list"), {"year": 2026, "q": "OAS electoral"})
    assert entries(summits) == [
        ("Agreement with the OAS on the Electoral Observation Mission", "Agreement signed"),
        ("Agreement with the OAS on the Electoral Observation Mission", "Agreement entered into force"),
    ]
    # A day in that month is another date: both are shown.
    signing.date, signing.date_precision = date(2026, 1, 20), Precision.DAY
    signing.save()
    assert len(entries(client.get(url("events:list"), {"year": 2026, "page": 1}))) == 4


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


def test_a_year_that_is_no_year_is_explained_and_shows_nothing(client, timeline):
    response = client.get(url("events:list"), {"year": "abc"})
    assert response.status_code == 400
    assert "Year: Enter a whole number." in response.content.decode()
    assert response.context["years"] == [] and response.context["months"] == []


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
    lines = response.getvalue().decode("utf-8-sig").splitlines()
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


def test_the_atom_feeds_entries_are_dated_by_their_event_and_signed_by_the_ministry(client, timeline, settings):
    settings.MINISTRY_NAME = {"en": "Ministry of Foreign Affairs of Peru", "es": "Cancillería del Perú"}
    response = client.get(url("events:atom"))
    dates = {
        entry.find("atom:title", ATOM).text: (
            entry.find("atom:published", ATOM).text,
            entry.find("atom:updated", ATOM).text,
        )
        for entry in atom_entries(response)
    }
    assert dates["VIII Summit of the Americas"] == ("2018-04-13T00:00:00-05:00", "2018-04-13T00:00:00-05:00")
    assert dates["Re-elected to the IMO Council"][0] == "2025-11-01T00:00:00-05:00"
    feed = ElementTree.fromstring(response.content)
    assert feed.find("atom:updated", ATOM).text == "2025-12-05T00:00:00-05:00"  # the newest entry's
    assert feed.find("atom:author/atom:name", ATOM).text == "Ministry of Foreign Affairs of Peru"
    spanish = ElementTree.fromstring(client.get(url("events:atom", "es")).content)
    assert spanish.find("atom:author/atom:name", ATOM).text == "Cancillería del Perú"


def test_the_atom_feed_holds_the_fifty_newest_events(client):
    EventFactory.create_batch(55, date=date(2020, 1, 1))
    EventFactory(title_en="The newest", date=date(2021, 1, 1))
    entries = atom_entries(client.get(url("events:atom")))
    assert len(entries) == 50
    assert entries[0].find("atom:title", ATOM).text == "The newest"


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
        StepFactory(agreement=agreement, date=date.today())  # a ratification, on the timeline
    # The timeline reads the page's events, milestones and steps, each kind once.
    for name, queries in (("events:list", 20), ("events:atom", 16), ("events:calendar", 16)):
        with django_assert_max_num_queries(queries):
            assert client.get(url(name), {"party": "CL"}).status_code == 200
    with django_assert_max_num_queries(10):
        client.get(url("events:download", format="json"), {"party": "CL"}).getvalue()


def a_busy_year(count, year=2020):
    """`count` events in one year, some in every month, a third of them with Chile."""
    chile = Country.objects.get(code="CL")
    events = EventFactory.create_batch(count, date=date(year, 12, 1))
    for number, event in enumerate(events):
        event.date = date(year, 12 - number * 12 // count, 1 + number % 28)
        event.save()
        if number % 3 == 0:
            event.countries.add(chile)
    return events


def all_pages(client, query):
    """The entries of every page of a year, and the responses, following the next links."""
    responses = [client.get(url("events:list"), query)]
    while responses[-1].context["page_obj"].has_next():
        responses.append(client.get(url("events:list"), {**query, "page": len(responses) + 1}))
    return [entry for response in responses for _, group in response.context["months"] for entry in group], responses


def test_a_busy_year_is_paginated_with_every_entry_once_and_the_filters_kept(client):
    events = a_busy_year(250)
    AgreementFactory(slug="signed-2020", title_en="Signed in 2020", signed_on=date(2020, 6, 15), in_force_on=None)
    entries, responses = all_pages(client, {"year": 2020})
    assert len(responses) == 3
    assert len(responses[0].context["months"][0][1]) <= 100
    assert sorted(entry.record.slug for entry in entries) == sorted([e.slug for e in events] + ["signed-2020"])
    starts = [entry.when.start for entry in entries]
    assert starts == sorted(starts, reverse=True)
    first = responses[0].content.decode()
    assert "251 entries in 2020" in first
    assert 'href="?year=2020&amp;page=2"' in first
    filtered = client.get(url("events:list"), {"year": 2020, "type": "summit"}).content.decode()
    assert "250 entries in 2020" in filtered
    assert 'href="?year=2020&amp;type=summit&amp;page=2"' in filtered
    # A year link starts that year at its first page.
    assert 'href="?year=2006"' not in first
    assert client.get(url("events:list"), {"year": 2020, "page": 2}).content.decode().count('href="?year=2020"') == 0


def test_a_month_split_over_two_pages_says_it_goes_on(client):
    a_busy_year(250)
    first, second = (client.get(url("events:list"), {"year": 2020, "page": page}) for page in (1, 2))
    last_month, _ = first.context["months"][-1]
    assert second.context["months"][0][0] == last_month
    assert first.context["continues"] and not first.context["continued"]
    assert second.context["continued"]
    heading = last_month.strftime("%B %Y")
    assert "Continued on the next page." in first.content.decode()
    assert f"{heading} (continued)</h2>" in second.content.decode()
    assert f"{heading} (continued)" not in first.content.decode()


def test_the_chart_and_the_count_cover_the_whole_year_not_the_page(client):
    a_busy_year(150)
    AgreementFactory(signed_on=date(2020, 3, 1), in_force_on=date(2020, 9, 1))
    response = client.get(url("events:list"), {"year": 2020, "page": 2})
    bars = {bar.label: bar.value for bar in response.context["type_chart"]["bars"]}
    assert bars == {"Summit": 150, "Agreement signed": 1, "Agreement entered into force": 1}
    assert response.context["entry_count"] == 152
    assert response.context["paginator"].count == 152


def test_an_agreement_is_typed_in_by_its_slug_and_shown_by_its_title_when_chosen(client, timeline):
    AgreementFactory.create_batch(20)
    response = client.get(url("events:list"), {"agreement": "pe-cl"})
    page = response.content.decode()
    assert '<input type="text" name="agreement" value="pe-cl"' in page
    assert "<option" not in page.split('name="agreement"')[1].split("</select>")[0].split("<label")[0]
    assert "Chosen: Peru-Chile FTA." in page
    assert response.context["active_filters"][0][:2] == ("Agreement", "Peru-Chile FTA")
    assert response.context["years"] == [2025, 2009, 2006]


def test_a_drafts_slug_is_answered_exactly_like_an_unknown_one(client, timeline):
    draft = client.get(url("events:list"), {"agreement": "secret"})
    unknown = client.get(url("events:list"), {"agreement": "no-such-agreement"})
    assert "No published agreement has this slug." in draft.content.decode()
    assert draft.content.decode().replace("secret", "x") == unknown.content.decode().replace("no-such-agreement", "x")
    assert draft.status_code == unknown.status_code == 400
    assert draft.context["years"] == unknown.context["years"] == []
    assert "Draft agreement" not in draft.content.decode()


@pytest.mark.parametrize("count", [3, 300])
def test_a_busy_year_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    a_busy_year(count)
    agreements = AgreementFactory.create_batch(count, signed_on=date(2020, 5, 5), in_force_on=date(2020, 7, 1))
    for agreement in agreements:
        agreement.countries.add(Country.objects.get(code="CL"))
    linked = {"year": 2020, "party": "CL", "agreement": agreements[1].slug}
    for query in ({"year": 2020}, {"year": 2020, "page": 2}, linked):
        with django_assert_max_num_queries(20):
            assert client.get(url("events:list"), query).status_code == 200


# A title that tries to end its property and start others in every way a line can end,
# with every character iCalendar escapes, characters of two to four octets, and enough
# of them to be folded.
HOSTILE_TITLE = (
    "Bad\rX-INJECTED-CR:1\nX-INJECTED-LF:1\r\nX-INJECTED-CRLF:1\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n"
    'a,b;c\\d\\\\e\\n:f "g" ñandú é 😀 '
    "Reunión bilateral con la República de Chile en Tacna, señalización fronteriza 🇵🇪🇨🇱 "
    "Reunión bilateral con la República del Ecuador en Tumbes, hitos de la frontera 🇵🇪🇪🇨"
)


def calendar_entries(body):
    return icalendar.Calendar.from_ical(body).walk("VEVENT")


def test_the_calendar_keeps_a_hostile_title_as_text_escaped_and_folded(client):
    EventFactory(
        slug="hostile",
        title_en=HOSTILE_TITLE,
        summary_en="Línea 1;\r\nlínea 2, C:\\temp",
        date=date.today() + timedelta(days=3),
        location="Lima; Callao",
    )
    body = client.get(url("events:calendar")).content
    lines = body.split(b"\r\n")
    assert lines[-1] == b""
    # No carriage return or line feed but the ones that end a line.
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    # Folded at 75 octets, never inside a character.
    assert all(len(line) <= 75 for line in lines)
    assert all(line.decode("utf-8") for line in lines[:-1])
    (entry,) = calendar_entries(body)
    # iCalendar has one line break; CR and CR LF come back as LF.
    assert str(entry["SUMMARY"]) == HOSTILE_TITLE.replace("\r\n", "\n").replace("\r", "\n")
    assert str(entry["DESCRIPTION"]) == "Línea 1;\nlínea 2, C:\\temp"
    assert str(entry["LOCATION"]) == "Lima; Callao"
    assert set(entry) == {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL", "DESCRIPTION", "LOCATION"}
    assert set(icalendar.Calendar.from_ical(body)) == {"VERSION", "PRODID", "CALSCALE", "X-WR-CALNAME"}


def test_a_date_known_to_the_month_spans_the_month_in_the_calendar_and_says_so(client):
    first = (date.today() + timedelta(days=40)).replace(day=1)
    EventFactory(slug="next-month", title_en="Later", date=first, date_precision=Precision.MONTH)
    (entry,) = calendar_entries(client.get(url("events:calendar")).content)
    after = (first + timedelta(days=31)).replace(day=1)
    assert (entry["DTSTART"].dt, entry["DTEND"].dt) == (first, after)
    assert str(entry["DESCRIPTION"]) == formats.date_format(first, "YEAR_MONTH_FORMAT")
    assert str(entry["UID"]) == "next-month@testserver"
    assert str(entry["URL"]) == f"http://testserver{url('events:detail', slug='next-month')}"


def atom_entries(response):
    return ElementTree.fromstring(response.content).findall("atom:entry", ATOM)


ATOM = {"atom": "http://www.w3.org/2005/Atom"}


def test_the_atom_feed_gives_a_hostile_title_and_summary_as_text(client):
    title = '<img/src="x"/onerror=alert(2)> & <script>alert(1)</script>'
    summary = "<svg/onload=alert(3)> “quoted” & 'apostrophe' a < b"
    EventFactory(title_en=title, summary_en=summary, date=date(2025, 4, 13))
    (entry,) = atom_entries(client.get(url("events:atom")))
    assert entry.find("atom:title", ATOM).get("type", "text") == "text"
    assert entry.find("atom:title", ATOM).text == title
    shown = entry.find("atom:summary", ATOM)
    assert shown.get("type") == "text"
    assert shown.text == f"13 April 2025 · Summit. {summary}"
    # Nothing of the record became an element of the feed.
    assert [child.tag.split("}")[1] for child in entry] == [
        "title",
        "link",
        "published",
        "updated",
        "id",
        "category",
        "summary",
    ]


def test_the_calendar_reads_the_events_and_their_country_and_nothing_else(client):
    for event in EventFactory.create_batch(5, date=date.today() + timedelta(days=3)):
        event.countries.add(Country.objects.get(code="CL"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("events:calendar")).status_code == 200
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    for relation in ("events_event_countries", "events_event_organisations", "events_event_topics"):
        assert relation not in tables
