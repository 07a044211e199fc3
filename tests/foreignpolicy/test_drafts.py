"""Drafts never reach the public, in any form.

The world below has a draft in every relation a published record has, and every draft
carries MARKER in its names and slug. Every public address is requested: nothing of a
draft may show. Then the drafts are deleted and every address requested again: the
answers must not change, so no count, chart, choice, year or link came from a draft.
"""

import json
import re
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import time_machine
from django.utils import timezone

from agreements.models import Agreement, AgreementStatus, AgreementType
from directorates.models import Directorate
from events.models import Event, EventType
from foreignpolicy.models import Country, Organisation, Topic
from foreignpolicy.registry import resource_for
from pages.sitemaps import SITEMAPS
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory, StaffFactory
from tests.helpers import url

pytestmark = pytest.mark.django_db

MARKER = "zqx"
DRAFT_BADGE = "Draft: only staff can see this page."
SOON = date.today() + timedelta(days=20)


def country(code):
    return Country.objects.get(code=code)


def organisation(slug):
    return Organisation.objects.get(slug=slug)


def topic(slug):
    return Topic.objects.get(slug=slug)


def draft(factory, slug, **fields):
    """A draft whose slug and every name carry the marker."""
    names = {"name_en", "name_es"} if factory is DirectorateFactory else {"title_en", "title_es"}
    return factory(
        slug=f"{MARKER}-{slug}",
        is_published=False,
        **{name: f"Zqx {slug} {name[-2:]}" for name in names},
        **fields,
    )


@pytest.fixture
def world():
    """Published records, with drafts above, below and beside them in every relation."""
    dg = DirectorateFactory(slug="dg-economic", name_en="Directorate-General for Economic Affairs", position=1)
    trade_unit = DirectorateFactory(slug="trade-unit", name_en="Trade Unit", parent=dg)
    # A draft in the middle of the tree, a published unit below it and one below that.
    draft_parent = draft(DirectorateFactory, "parent", acronym="ZQXP", parent=dg)
    andean = DirectorateFactory(slug="andean-affairs", name_en="Andean Affairs", parent=draft_parent)
    DirectorateFactory(slug="andean-department", name_en="Andean Department", parent=andean)
    draft(DirectorateFactory, "child", parent=trade_unit, summary_en="Zqx summary")
    draft(DirectorateFactory, "top", position=0)
    for unit in (dg, trade_unit, draft_parent):
        unit.topics.add(topic("trade"))

    chile = AgreementFactory(
        slug="pe-cl",
        title_en="Peru-Chile FTA",
        signed_on=date(2006, 8, 22),
        in_force_on=date(2009, 3, 1),
        directorate=trade_unit,
    )
    chile.countries.add(country("CL"))
    chile.topics.add(topic("trade"))
    # A published agreement whose responsible directorate is a draft.
    canada = AgreementFactory(
        slug="pe-ca", title_en="Peru-Canada FTA", signed_on=date(2008, 5, 29), directorate=draft_parent
    )
    canada.countries.add(country("CA"))
    # The only agreement with Japan and with APEC, in a status, a type and years no
    # published agreement has, under a published directorate and in a topic only drafts have.
    treaty = draft(
        AgreementFactory,
        "treaty",
        short_title="ZQX-T",
        status=AgreementStatus.objects.get(code="terminated"),
        type=AgreementType.objects.get(slug="framework-agreement"),
        signed_on=date(1999, 5, 3),
        in_force_on=date(2001, 1, 1),
        ended_on=date(2003, 1, 1),
        directorate=dg,
        summary_en="Zqx summary",
    )
    treaty.countries.add(country("JP"))
    treaty.organisations.add(organisation("apec"))
    treaty.topics.add(topic("trade"), topic("health"))
    draft(AgreementFactory, "negotiation", status=AgreementStatus.objects.get(code="under_negotiation"), signed_on=None)

    # A published event linked to drafts and to published records alike.
    meeting = EventFactory(
        slug="meeting-chile",
        title_en="Meeting with Chile",
        date=date(2025, 12, 5),
        type=EventType.objects.get(slug="bilateral-meeting"),
    )
    meeting.countries.add(country("CL"))
    meeting.directorates.add(dg, draft_parent)
    meeting.agreements.add(chile, treaty)
    meeting.topics.add(topic("trade"))
    visit = EventFactory(
        slug="visit-chile", title_en="Visit to Chile", date=SOON, type=EventType.objects.get(slug="official-visit")
    )
    visit.countries.add(country("CL"))
    visit.directorates.add(trade_unit)
    # Draft events linked to published agreements and directorates: in a year no published
    # event has, with a type, a country and an organisation no published event has; one
    # upcoming, for the calendar; one in a published event's year, for its chart.
    old_summit = draft(
        EventFactory,
        "summit",
        date=date(1998, 6, 1),
        type=EventType.objects.get(slug="summit"),
        country=country("NZ"),
        location="Zqx city",
    )
    old_summit.countries.add(country("NZ"))
    old_summit.organisations.add(organisation("wto"))
    old_summit.topics.add(topic("trade"), topic("health"))
    upcoming = draft(
        EventFactory, "visit", date=SOON - timedelta(days=5), type=EventType.objects.get(slug="official-visit")
    )
    upcoming.countries.add(country("CL"))
    announcement = draft(
        EventFactory, "announcement", date=date(2025, 11, 2), type=EventType.objects.get(slug="announcement")
    )
    for event in (old_summit, upcoming, announcement):
        event.agreements.add(chile, canada)
        event.directorates.add(dg, trade_unit, andean)
        event.topics.add(topic("trade"))


def delete_the_drafts():
    """Take every draft away, and with it the links published records had to drafts; a
    queryset update leaves `updated_at` (the sitemap's lastmod) as it was."""
    Directorate.objects.filter(parent__is_published=False).update(parent=None)
    Agreement.objects.filter(directorate__is_published=False).update(directorate=None)
    Event.objects.drafts().delete()
    Agreement.objects.drafts().delete()
    Directorate.objects.drafts().update(parent=None)
    Directorate.objects.drafts().delete()


AGREEMENT_QUERIES = [
    {},
    {"status": "terminated"},
    {"status": "in_force"},
    {"type": "framework-agreement"},
    {"party": "JP"},
    {"party": "apec"},
    {"party": "CL"},
    {"directorate": "dg-economic"},
    {"directorate": "zqx-parent"},
    {"topic": "trade"},
    {"topic": "health"},
    {"signed_from": "1999", "signed_to": "2001"},
    {"in_force_from": "2001", "in_force_to": "2001"},
    {"q": MARKER},
    {"q": "treaty"},
    {"ordering": "title"},
]
EVENT_QUERIES = [
    {},
    {"year": "1998"},
    {"year": "1999"},
    {"year": "2001"},
    {"year": "2003"},
    {"year": "2025"},
    {"year": str(SOON.year)},
    {"party": "NZ"},
    {"party": "wto"},
    {"party": "CL"},
    {"party": "JP"},
    {"directorate": "dg-economic"},
    {"directorate": "zqx-parent"},
    {"agreement": "pe-cl"},
    {"agreement": "zqx-treaty"},
    {"topic": "trade"},
    {"topic": "health"},
    {"type": "summit"},
    {"type": "agreement-signing"},
    {"type": "announcement"},
    {"q": MARKER},
    {"q": "summit"},
    {"date_from": "1990-01-01", "date_to": "2005-01-01"},
]
# Filters that name what only drafts have: a party, a directorate, an agreement. The public
# knows them no more than a mistyped value, and is told so (400) in the same words.
DRAFTS_ONLY = [
    {"party": "JP"},
    {"party": "NZ"},
    {"party": "apec"},
    {"party": "wto"},
    {"directorate": "zqx-parent"},
    {"agreement": "zqx-treaty"},
]
PUBLISHED = {
    "directorates:detail": ["dg-economic", "trade-unit", "andean-affairs", "andean-department"],
    "agreements:detail": ["pe-cl", "pe-ca"],
    "events:detail": ["meeting-chile", "visit-chile"],
}
DRAFTS = {
    "directorates:detail": ["zqx-parent", "zqx-child", "zqx-top"],
    "agreements:detail": ["zqx-treaty", "zqx-negotiation"],
    "events:detail": ["zqx-summit", "zqx-visit", "zqx-announcement"],
}


def public_addresses():
    """Every public address, in both languages, with every filter a draft could feed."""
    pages = [
        ("home", {}, [{}]),
        ("search", {}, [{"q": MARKER}, {"q": "treaty"}, {"q": "summit"}, {"q": "andean"}, {"q": "zqxp"}]),
        ("topics:list", {}, [{}]),
        *(("topics:detail", {"slug": slug}, [{}]) for slug in ("trade", "health")),
        ("directorates:list", {}, [{}]),
        ("agreements:list", {}, AGREEMENT_QUERIES),
        ("agreements:in_force", {}, [{}, {"on": "2002-01-01"}, {"on": "2010-01-01"}]),
        ("events:list", {}, EVENT_QUERIES),
        ("events:atom", {}, EVENT_QUERIES),
        ("events:calendar", {}, EVENT_QUERIES),
        *(("directorates:download", {"format": fmt}, [{}]) for fmt in ("csv", "json")),
        *(("agreements:download", {"format": fmt}, AGREEMENT_QUERIES) for fmt in ("csv", "json")),
        *(("events:download", {"format": fmt}, EVENT_QUERIES) for fmt in ("csv", "json")),
        *((name, {"slug": slug}, [{}]) for name, slugs in PUBLISHED.items() for slug in slugs),
    ]
    sitemaps = [f"/sitemap-{section}.xml" for section in SITEMAPS]
    return ["/sitemap.xml", *sitemaps, "/robots.txt"] + [
        url(name, language, **kwargs) + (f"?{urlencode(query)}" if query else "")
        for language in ("en", "es")
        for name, kwargs, queries in pages
        for query in queries
    ]


def draft_addresses():
    return [
        url(name, language, slug=slug) for language in ("en", "es") for name, slugs in DRAFTS.items() for slug in slugs
    ]


def expected_status(address):
    return 400 if dict(parse_qsl(urlsplit(address).query)) in DRAFTS_ONLY else 200


def answers(client):
    """{address: (status, body)} for every address, without what only the clock decides:
    the calendar's stamp, and the time an empty feed gives as its last update."""
    result = {}
    for address in public_addresses() + draft_addresses():
        response = client.get(address)
        body = re.sub(rb"DTSTAMP:\d{8}T\d{6}Z", b"DTSTAMP:", response.getvalue())
        if b"<feed" in body and b"<entry>" not in body:
            body = re.sub(rb"<updated>[^<]*</updated>", b"<updated/>", body)
        result[address] = (response.status_code, body)
    return result


def test_nothing_of_a_draft_reaches_any_public_address(client, world):
    before = answers(client)
    for address in draft_addresses():
        assert before[address][0] == 404, address
    for address in public_addresses():
        status, body = before[address]
        assert status == expected_status(address), address
        # An address that names a draft is echoed in its own page (links to the same page
        # in the other language, with the same filters); the comparison below covers it.
        if MARKER not in address:
            assert MARKER.encode() not in body.lower(), address

    delete_the_drafts()
    after = answers(client)
    changed = [address for address in before if before[address] != after[address]]
    assert changed == []


def test_the_world_is_what_the_test_above_relies_on(client, world):
    """The comparison proves something only if the public pages do show the published
    records around the drafts."""
    tree = client.get(url("directorates:list")).content.decode()
    assert tree.index("Andean Affairs") < tree.index("Andean Department")
    assert "Trade Unit" in tree
    andean = client.get(url("directorates:detail", slug="andean-affairs")).content.decode()
    assert "Andean Department" in andean
    meeting = client.get(url("events:detail", slug="meeting-chile")).content.decode()
    assert "Peru-Chile FTA" in meeting and "Directorate-General for Economic Affairs" in meeting
    chile = client.get(url("agreements:detail", slug="pe-cl")).content.decode()
    assert "Trade Unit" in chile and "Meeting with Chile" in chile
    rows = json.loads(client.get(url("events:download", format="json"), {"party": "CL"}).getvalue())
    assert {row["slug"]: row["agreements"] for row in rows} == {"meeting-chile": ["pe-cl"], "visit-chile": []}
    assert client.get(url("events:calendar")).content.decode().count("BEGIN:VEVENT") == 1


def test_a_published_unit_under_a_draft_stands_at_the_top_of_the_tree_without_a_parent(client, world):
    tree = client.get(url("directorates:list")).context["object_list"]
    assert [unit.slug for unit in tree] == ["andean-affairs", "dg-economic"]
    page = client.get(url("directorates:detail", slug="andean-affairs")).content.decode()
    breadcrumb = page[page.index('<p class="meta">') :]
    breadcrumb = breadcrumb[: breadcrumb.index("</p>")]
    assert breadcrumb == f'<p class="meta"><a href="{url("directorates:list")}">Directorates</a>'


def test_reference_columns_of_the_downloads_name_only_published_records(client, world):
    def rows(kind):
        return json.loads(client.get(url(f"{kind}:download", format="json")).getvalue())

    directorates = {row["slug"]: row for row in rows("directorates")}
    assert directorates["andean-affairs"]["parent"] is None
    assert directorates["trade-unit"]["parent"] == "dg-economic"
    agreements = {row["slug"]: row for row in rows("agreements")}
    assert agreements["pe-ca"]["directorate"] is None
    assert agreements["pe-cl"]["directorate"] == "trade-unit"
    events = {row["slug"]: row for row in rows("events")}
    assert events["meeting-chile"]["directorates"] == ["dg-economic"]
    assert events["meeting-chile"]["agreements"] == ["pe-cl"]


def test_staff_exports_still_hold_every_record_and_every_link(world):
    exported = {
        kind: {row["slug"]: row for row in resource_for(kind).export().dict}
        for kind in ("directorates", "agreements", "events")
    }
    assert exported["directorates"]["andean-affairs"]["parent"] == "zqx-parent"
    assert exported["agreements"]["pe-ca"]["directorate"] == "zqx-parent"
    assert exported["events"]["meeting-chile"]["agreements"] == "pe-cl;zqx-treaty"
    assert "zqx-treaty" in exported["agreements"] and "zqx-summit" in exported["events"]


@pytest.mark.parametrize(
    ("name", "slug", "kind"),
    [
        ("directorates:detail", "zqx-parent", "directorates.directorate"),
        ("agreements:detail", "zqx-treaty", "agreements.agreement"),
        ("events:detail", "zqx-summit", "events.event"),
    ],
)
def test_a_draft_is_previewed_only_by_staff_who_may_view_or_change_its_kind(client, world, name, slug, kind):
    app_label, model = kind.split(".")
    address = url(name, slug=slug)
    assert client.get(address).status_code == 404
    for permissions, status in [
        ([], 404),
        ([f"{app_label}.add_{model}"], 404),
        (["agreements.view_agreement" if model != "agreement" else "events.view_event"], 404),
        ([f"{app_label}.view_{model}"], 200),
        ([f"{app_label}.change_{model}"], 200),
    ]:
        client.force_login(StaffFactory(permissions=permissions))
        response = client.get(address)
        assert response.status_code == status, permissions
        if status == 200:
            assert DRAFT_BADGE in response.content.decode()
    client.force_login(StaffFactory(is_staff=False, permissions=[f"{app_label}.view_{model}"]))
    assert client.get(address).status_code == 404


def test_a_preview_shows_only_the_links_the_public_will_see(client, world):
    summit = Event.objects.get(slug="zqx-summit")
    summit.agreements.add(Agreement.objects.get(slug="zqx-treaty"))
    summit.directorates.add(Directorate.objects.get(slug="zqx-parent"))
    client.force_login(StaffFactory(permissions=["events.view_event"]))
    page = client.get(url("events:detail", slug="zqx-summit")).content.decode()
    assert DRAFT_BADGE in page
    assert "Peru-Chile FTA" in page and "Trade Unit" in page
    assert "zqx-treaty" not in page and "zqx-parent" not in page
    client.force_login(StaffFactory(permissions=["directorates.view_directorate"]))
    page = client.get(url("directorates:detail", slug="zqx-child")).content.decode()
    assert DRAFT_BADGE in page
    assert f'href="{url("directorates:detail", slug="trade-unit")}"' in page
    page = client.get(url("directorates:detail", slug="andean-affairs")).content.decode()
    assert "zqx" not in page.lower()


def test_staff_see_a_published_page_as_the_public_does(client, admin_client, world):
    address = url("events:detail", slug="meeting-chile")
    assert admin_client.get(address).content == client.get(address).content


def schedule_the_drafts(moment):
    """Publish every draft, to be public from `moment` on."""
    for model in (Directorate, Agreement, Event):
        model.objects.drafts().update(is_published=True, publish_at=moment)


def test_a_scheduled_record_is_a_draft_everywhere_until_its_moment_and_public_from_it(client, world):
    moment = timezone.now() + timedelta(days=2)
    schedule_the_drafts(moment)
    with time_machine.travel(moment - timedelta(seconds=1), tick=False):
        before = answers(client)
    for address in draft_addresses():
        assert before[address][0] == 404, address
    for address in public_addresses():
        status, body = before[address]
        assert status == expected_status(address), address
        if MARKER not in address:
            assert MARKER.encode() not in body.lower(), address
    # The same moment, read from the cache the pages above filled: nothing may stay stale.
    with time_machine.travel(moment, tick=False):
        after = answers(client)
    for address in draft_addresses():
        assert after[address][0] == 200, address
        assert DRAFT_BADGE.encode() not in after[address][1]
    for name in ("agreements:list", "events:list", "directorates:list", "home"):
        assert MARKER.encode() in after[url(name)][1].lower(), name


def test_the_sitemap_gives_a_scheduled_records_moment_as_its_publication(client):
    moment = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    agreement = AgreementFactory(slug="scheduled-treaty", is_published=True, publish_at=moment)
    assert agreement.updated_at < moment
    with time_machine.travel(moment + timedelta(hours=1), tick=False):
        sitemap = client.get("/sitemap-agreements.xml").content.decode()
    treaty = sitemap[sitemap.index(agreement.slug) :]
    assert f"<lastmod>{timezone.localdate(moment).isoformat()}</lastmod>" in treaty[: treaty.index("</url>")]


def test_staff_preview_a_scheduled_record_and_are_told_when_it_appears(admin_client):
    moment = timezone.now() + timedelta(days=2)
    AgreementFactory(slug="scheduled", is_published=True, publish_at=moment)
    page = admin_client.get(url("agreements:detail", slug="scheduled"))
    assert page.status_code == 200
    assert "Scheduled: public from" in page.content.decode()
    assert "private" in page["Cache-Control"]
