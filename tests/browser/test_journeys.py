"""What a reader does on the public site, in a real browser, and what they notice."""

import codecs
import csv
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect

from agreements.models import Agreement
from events.models import Event
from tests.helpers import url

pytestmark = pytest.mark.browser


def words(english, language):
    """Interface words as the page shows them in this language, exactly."""
    with translation.override(language):
        return re.compile(f"^{re.escape(gettext(english))}$")


def agreements_count(count, language):
    with translation.override(language):
        return ngettext("%(counter)s agreement", "%(counter)s agreements", count) % {"counter": count}


def listed_slugs(page):
    """The agreements the list shows, by the slug in their links."""
    hrefs = page.locator("ul.results h2 a").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    return [urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1] for href in hrefs]


def filter_agreements(page, language, status, party):
    page.get_by_label(words("Status", language)).select_option(label=status)
    page.get_by_label(words("Country or organisation", language)).select_option(label=party)
    page.get_by_role("button", name=words("Apply filters", language)).click()
    page.wait_for_url(re.compile(r"[?&]party=[^&]+"))


def agreements_in_force_with_mexico():
    return sorted(
        Agreement.objects.published()
        .filter(status__code="in_force", countries__code="MX")
        .values_list("slug", flat=True)
        .distinct()
    )


def test_filtering_agreements_then_downloading_the_csv_gives_the_agreements_listed(page):
    page.goto(url("agreements:list", "en"))
    filter_agreements(page, "en", status="In force", party="Mexico")

    expected = agreements_in_force_with_mexico()
    assert len(expected) > 1
    expect(page.locator("main [role=status]")).to_have_text(agreements_count(len(expected), "en"))
    expect(page.get_by_role("link", name=re.compile("^Status: In force"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Country or organisation: Mexico"))).to_be_visible()
    expect(page.get_by_role("navigation", name="Pages")).to_have_count(0)  # one page: all of them are listed
    listed = listed_slugs(page)
    assert sorted(listed) == expected

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "agreements.csv"
    body = Path(download.value.path()).read_bytes()
    assert body.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(body[len(codecs.BOM_UTF8) :].decode("utf-8"))))
    assert sorted(row["slug"] for row in rows) == sorted(listed)
    assert {row["status"] for row in rows} == {"in_force"}


def test_the_language_switch_keeps_the_reader_on_the_same_agreement(page):
    agreement = Agreement.objects.get(slug="peru-uk-trade-agreement")
    page.goto(url("agreements:detail", "es", slug=agreement.slug))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_contain_text(agreement.title_es)

    page.get_by_role("navigation", name=words("Languages", "es")).get_by_role("link", name="English").click()
    page.wait_for_url(f"**{url('agreements:detail', 'en', slug=agreement.slug)}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text(agreement.title_en)
    expect(page).to_have_title(re.compile(f"^{re.escape(agreement.title_en)}"))

    page.get_by_role("navigation", name="Languages").get_by_role("link", name="Español").click()
    page.wait_for_url(f"**{url('agreements:detail', 'es', slug=agreement.slug)}")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_contain_text(agreement.title_es)


def test_the_timeline_leads_by_year_to_an_event(page):
    event = Event.objects.get(slug="paris-agreement-signature")
    page.goto(url("events:list", "en"))
    latest = Event.objects.published().order_by("-date").first().date.year
    expect(page.locator("main [role=status]")).to_contain_text(f"in {latest}")

    years = page.get_by_role("navigation", name="Years")
    years.get_by_role("link", name="2016", exact=True).click()
    page.wait_for_url(re.compile(r"[?&]year=2016(&|$)"))
    expect(years.locator("[aria-current=page]")).to_have_text("2016")
    expect(page.locator("main [role=status]")).to_contain_text("in 2016")
    with translation.override("en"):
        month, day = date_format(event.date, "YEAR_MONTH_FORMAT"), str(event.when)
    expect(page.get_by_role("heading", level=2, name=month)).to_be_visible()

    page.get_by_role("link", name=event.title_en, exact=True).click()
    page.wait_for_url(f"**{url('events:detail', 'en', slug=event.slug)}")
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title_en)
    expect(page.locator("main")).to_contain_text(day)
    assert day == "22 April 2016"


def test_filtering_agreements_works_without_javascript(page_without_javascript):
    page = page_without_javascript
    page.goto(url("agreements:list", "es"))
    filter_agreements(page, "es", status="Vigente", party="México")
    expected = agreements_in_force_with_mexico()
    expect(page.locator("main [role=status]")).to_have_text(agreements_count(len(expected), "es"))
    assert sorted(listed_slugs(page)) == expected
