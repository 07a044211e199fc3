"""Every page type, in Spanish and English: no axe-core violation at 1280 or 320 px, no sideways scrolling
on a 320 px wide phone, and nothing loaded from another host."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils.http import urlencode

from tests.helpers import url

pytestmark = pytest.mark.browser

NARROW = 320
WIDE = {"width": 1280, "height": 800}

FILTERS = {"status": "in_force", "party": "MX"}
IN_FORCE_ON = {"on": "2010-01-01"}
IN_FORCE_FOR = {"on": "2020-01-01", "party": "CL"}
SORTED = {"participants": "withdrawn"}

# (page type, URL name, URL arguments, query string by language)
PAGES = [
    ("home", "home", {}, None),
    ("directorates", "directorates:list", {}, None),
    ("directorate", "directorates:detail", {"slug": "economic-affairs"}, None),
    ("agreements", "agreements:list", {}, None),
    ("agreements-filtered", "agreements:list", {}, {"es": FILTERS, "en": FILTERS}),
    ("agreement", "agreements:detail", {"slug": "peru-uk-trade-agreement"}, None),
    # References, and a relation from the other side; a relation from its own side.
    ("agreement-references-relations", "agreements:detail", {"slug": "ace-58-mercosur"}, None),
    ("agreement-protocol", "agreements:detail", {"slug": "pacific-alliance-additional-protocol"}, None),
    # The history of steps, and the participants' table, sorted by a column of dates.
    ("agreement-steps-participants", "agreements:detail", {"slug": "unasur-constitutive-treaty"}, None),
    ("agreement-participants", "agreements:detail", {"slug": "cptpp"}, {"es": SORTED, "en": SORTED}),
    ("in-force-on", "agreements:in_force", {}, {"es": IN_FORCE_ON, "en": IN_FORCE_ON}),
    ("in-force-for-a-party", "agreements:in_force", {}, {"es": IN_FORCE_FOR, "en": IN_FORCE_FOR}),
    ("timeline", "events:list", {}, None),
    ("event", "events:detail", {"slug": "paris-agreement-signature"}, None),
    ("search", "search", {}, {"es": {"q": "comercio"}, "en": {"q": "trade"}}),
    ("topics", "topics:list", {}, None),
    ("topic", "topics:detail", {"slug": "trade"}, None),
]


def address(language, name, kwargs, query):
    path = url(name, language, **kwargs)
    if query:
        path += "?" + urlencode(query[language])
    return path


def report(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {', '.join(map(str, node['target']))}" for node in violation["nodes"])
    return "\n".join(lines)


def axe_problems(page, width):
    violations = Axe().run(page).response["violations"]
    return [f"breaks axe-core rules at {width} px:\n{report(violations)}"] if violations else []


def problems_of(page, language, path):
    """What a reader of this page would run into, as sentences; none is good."""
    page.set_viewport_size(WIDE)
    page.requests.urls.clear()
    response = page.goto(path)
    if response.status != 200:
        return [f"answers {response.status}"]
    problems = []
    if page.locator("html").get_attribute("lang") != language:
        problems.append(f'is not marked lang="{language}"')

    # What hides behind a disclosure (the charts' tables) is checked too.
    page.evaluate("document.querySelectorAll('details').forEach(details => details.open = true)")
    problems += axe_problems(page, WIDE["width"])

    page.set_viewport_size({"width": NARROW, "height": WIDE["height"]})
    problems += axe_problems(page, NARROW)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > NARROW:
        problems.append(f"scrolls sideways at {NARROW} px: it is {scroll_width} px wide")

    if not page.requests.urls:
        problems.append("made no request that was recorded")
    if page.requests.elsewhere():
        problems.append(f"loads from other hosts: {page.requests.elsewhere()}")
    return problems


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_page_is_accessible_fits_a_phone_and_loads_nothing_from_elsewhere(page, subtests, language):
    # One test per language, one subtest per page type: the demo is loaded once.
    for page_type, name, kwargs, query in PAGES:
        path = address(language, name, kwargs, query)
        with subtests.test(page_type, path=path):
            problems = problems_of(page, language, path)
            assert not problems, f"{path}\n" + "\n".join(f"- {problem}" for problem in problems)
