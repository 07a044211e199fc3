"""Browser tests: headless Chromium (Debian's package, never `playwright install`) driven by
Playwright against pytest-django's live server, with the demo content loaded.

Deselect them with `pytest -m "not browser"`. Without /usr/bin/chromium they are skipped,
except in CI (CI=true), where they fail: CI must never lose them silently.
"""

import io
import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
MISSING = f"{CHROMIUM} is missing: install Chromium: apt-get install -y chromium chromium-driver"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def browser(django_db_setup):
    """One headless Chromium for the browser tests. Playwright's sync API runs an event loop
    in this thread while they run, and Django would refuse the ORM calls their fixtures
    make in it: its async-safety check is off for them alone, and on again after them."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Browser tests cannot run in CI: {MISSING}", pytrace=False)
        pytest.skip(MISSING)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    serialized = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    with async_unsafe_allowed(), sync_playwright() as playwright:
        # From here on an asyncio loop counts as running in this thread, and asgiref then
        # keeps Django's connections in a context-local store: new connection objects,
        # without the test database's migrated contents serialized when it was made, which
        # transactional tests restore (serialized rollback). They get them back here.
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
        # Those connections are closed while they can still be reached, so that the test
        # database can be dropped.
        connections.close_all()


@contextmanager
def async_unsafe_allowed():
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        yield
    finally:
        if before is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture
def demo(transactional_db, django_db_serialized_rollback):
    """The demo content, in the database the live server reads.

    The live server needs transactional tests, whose tables are emptied after each test;
    the serialized rollback brings back what the migrations wrote (countries, topics,
    statuses, types) before the demo is loaded again.
    """
    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def site(live_server, demo):
    """The live server's address, with the demo content loaded."""
    return live_server.url


class Requests:
    """Every address the page asked for, to prove nothing comes from another host."""

    def __init__(self, origin):
        self.origin = urlsplit(origin).netloc
        self.urls = []

    def record(self, request):
        self.urls.append(request.url)

    def elsewhere(self):
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).netloc != self.origin
        ]


class PolicyViolations:
    """What Chromium refused under the Content-Security-Policy, from its console: an inline
    script, style or handler the site's own pages must not hold."""

    def __init__(self):
        self.messages = []

    def record(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.messages.append(f"{message.location.get('url')}: {message.text}")


# The running test's: every page new_page opens reports into it.
policy_violations = PolicyViolations()


@pytest.fixture(autouse=True)
def no_policy_violation():
    """Fails the test whose pages broke the policy, whether or not the test looked."""
    policy_violations.messages.clear()
    yield
    assert not policy_violations.messages, "Content-Security-Policy violations:\n" + "\n".join(
        policy_violations.messages
    )


def new_page(browser, site, **context_options):
    context = browser.new_context(base_url=site, accept_downloads=True, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.requests = Requests(site)
    page.on("request", page.requests.record)
    page.on("console", policy_violations.record)
    return context, page


@pytest.fixture
def page(browser, site):
    """A fresh page (own context: no cookies kept between tests) on the live server."""
    context, page = new_page(browser, site)
    yield page
    context.close()


@pytest.fixture
def page_without_javascript(browser, site):
    context, page = new_page(browser, site, java_script_enabled=False)
    yield page
    context.close()
