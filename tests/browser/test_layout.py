"""How the pages lay out at a phone's widths and a desktop's, in both languages: nothing
runs off the side, chart text is legible and never runs into other text, an agreement's
facts stack on a narrow screen; and the admin's lists and forms fit a laptop's screen."""

import re
from itertools import pairwise

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from agreements.models import Agreement
from foreignpolicy.models import Country
from tests.browser.conftest import new_page
from tests.helpers import url

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 1280)
PASSWORD = "a long enough password 42"
LIST_PAGES = ("agreements:list", "events:list")

BOXES = """selector => [...document.querySelectorAll(selector)].map(element => {
    const box = element.getBoundingClientRect();
    return {text: element.textContent.trim(), left: box.left, right: box.right, top: box.top,
            bottom: box.bottom, height: box.height};
})"""


def boxes(page, selector):
    return page.evaluate(BOXES, selector)


def apart(first, second):
    return (
        first["right"] <= second["left"]
        or second["right"] <= first["left"]
        or first["bottom"] <= second["top"]
        or second["bottom"] <= first["top"]
    )


def fits(page, width):
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_charts_are_legible_and_their_labels_never_collide(browser, site, width):
    context, page = new_page(browser, site, viewport={"width": width, "height": 900})
    for language in ("en", "es"):
        for name in LIST_PAGES:
            page.goto(url(name, language))
            assert fits(page, width), (language, name)
            texts = boxes(page, "svg.chart text")
            assert texts, (language, name)
            assert min(text["height"] for text in texts) >= 10, (language, name)  # px on screen
            labels = boxes(page, 'svg.chart text[text-anchor="middle"]')
            for first, second in pairwise(labels):
                assert apart(first, second), (language, name, first["text"], second["text"])
            bars = boxes(page, "figure.chart-figure:last-of-type svg rect")
            names = boxes(page, "figure.chart-figure:last-of-type svg text > tspan")
            for label in names:
                assert label["right"] <= min(bar["left"] for bar in bars) + 0.5, (language, name, label["text"])
            downloads = boxes(page, ".downloads")
            headings = boxes(page, ".chart-figure figcaption")
            if downloads and headings:
                assert downloads[0]["bottom"] <= headings[0]["top"], (language, name)
    context.close()


@pytest.mark.parametrize(("width", "stacked"), [(320, True), (390, True), (1280, False)])
def test_an_agreements_facts_stand_over_their_values_on_a_narrow_screen(browser, site, width, stacked):
    context, page = new_page(browser, site, viewport={"width": width, "height": 900})
    for language in ("en", "es"):
        page.goto(url("agreements:detail", language, slug="pacific-alliance-framework-agreement"))
        assert fits(page, width)
        labels, values = boxes(page, "dl.facts dt"), boxes(page, "dl.facts dd")
        for label, value in zip(labels, values, strict=True):
            if stacked:
                assert label["bottom"] <= value["top"] + 0.5 and abs(label["left"] - value["left"]) < 1
            else:
                assert label["right"] <= value["left"]
        source = page.locator("dl.facts dd a[rel=external]")
        assert "http" not in source.inner_text() and "repositorio.pucp.edu.pe" in source.inner_text()
    context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_admin_fits_its_lists_titles_and_chosen_values_at_a_laptops_width(browser, site, language):
    User.objects.create_superuser("chief", password=PASSWORD)
    cptpp = Agreement.objects.get(slug="cptpp")
    long_title = (
        "Comprehensive and Progressive Agreement for Trans-Pacific Partnership, with its side letters and protocols"
    )
    Agreement.objects.filter(pk=cptpp.pk).update(title_en=long_title, title_es=long_title)
    cptpp.countries.add(*Country.objects.filter(code__in=["GB", "LA", "CD", "KP"]))
    context, page = new_page(
        browser, site, viewport={"width": 1024, "height": 800}, extra_http_headers={"Accept-Language": language}
    )
    page.goto("/admin/login/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(reverse("admin:agreements_agreement_changelist"))
    table, area = page.evaluate(
        "[document.querySelector('#result_list').scrollWidth, document.querySelector('#changelist').clientWidth]"
    )
    assert table <= area
    page.goto(reverse("admin:agreements_agreement_change", args=[cptpp.pk]))
    (title,) = boxes(page, "#content > h2")
    for tool in boxes(page, ".object-tools li"):
        assert apart(title, tool), tool["text"]
    (field,) = boxes(page, ".field-countries .select2-selection--multiple")
    chips = boxes(page, ".field-countries .select2-selection__choice")
    assert len(chips) == cptpp.countries.count()
    assert all(field["left"] <= chip["left"] and chip["right"] <= field["right"] for chip in chips)
    context.close()
