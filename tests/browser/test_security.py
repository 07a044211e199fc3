"""The Content-Security-Policy in a real browser: the admin's own scripts still run under it,
and a page that breaks it is caught (conftest.no_policy_violation fails any test that does)."""

import re

import pytest
from django.contrib.auth.models import User

from agreements.models import Agreement
from tests.browser.conftest import policy_violations

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password 42"


def log_in(page, username):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def test_every_admin_page_of_an_agreement_works_under_the_policy(page):
    User.objects.create_superuser("chief", password=PASSWORD)
    agreement = Agreement.objects.get(slug="peru-uk-trade-agreement")
    page.set_extra_http_headers({"Accept-Language": "en"})
    log_in(page, "chief")

    for path in (
        "/admin/agreements/agreement/add/",
        f"/admin/agreements/agreement/{agreement.pk}/change/",
        f"/admin/agreements/agreement/{agreement.pk}/history/",
        "/admin/agreements/agreement/import/",
        "/admin/agreements/agreement/export/",
        "/admin/foreignpolicy/topic/",
    ):
        assert page.goto(path).status == 200, path

    # The changelist's own script counts what is selected: it ran.
    page.goto("/admin/agreements/agreement/")
    page.locator("#action-toggle").check()
    assert re.search(r"\b(\d+) of \1 selected", page.locator(".action-counter").inner_text())


def test_an_inline_script_is_refused_and_reported(page, site):
    # A page of this site's origin under its policy, holding what no page of it may hold.
    page.route(
        f"{site}/planted/",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": "script-src 'self'"},
            body="<!doctype html><title>x</title><script>document.title = 'ran'</script>",
        ),
    )
    page.goto("/planted/")
    assert page.title() == "x"
    assert any("Content Security Policy" in message for message in policy_violations.messages)
    policy_violations.messages.clear()
