"""The editorial workflow in a real browser (issue 9): an editor drafts, a publisher
compares the revisions and schedules, the page appears at its moment, a rename keeps
the old link."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.utils import timezone

from directorates.models import Directorate
from tests.browser.conftest import new_page
from tests.helpers import url

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password 42"


def staff(username, group):
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def logged_in(browser, site, username):
    context, page = new_page(browser, site, locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return context, page


def test_an_editor_drafts_a_publisher_compares_and_schedules_and_a_rename_keeps_the_old_link(browser, site, page):
    staff("editor", "Editors")
    staff("publisher", "Publishers")

    editor_context, editor = logged_in(browser, site, "editor")
    editor.goto("/admin/directorates/directorate/add/")
    assert editor.locator("[name=is_published]").count() == 0  # not theirs to set
    editor.get_by_label("Name (English)").fill("Directorate for Pacific Affairs")
    editor.get_by_label("Name (Spanish)").fill("Dirección de Asuntos del Pacífico")
    editor.get_by_label("Slug").fill("pacific-affairs")
    editor.get_by_role("button", name="Save and continue editing").first.click()
    editor.get_by_label("Summary (English)").fill("Relations with the countries of the Pacific.")
    editor.get_by_role("button", name="Save and continue editing").first.click()
    expect_text(editor, "was changed successfully")
    editor_context.close()

    publisher_context, publisher = logged_in(browser, site, "publisher")
    record = Directorate.objects.get(slug="pacific-affairs")
    publisher.goto(f"/admin/directorates/directorate/{record.pk}/history/")
    rows = publisher.locator("#change-history tbody tr")
    assert rows.count() == 2
    assert "editor" in rows.nth(0).inner_text() and "Summary (English)" in rows.nth(0).inner_text()
    for row in range(2):
        rows.nth(row).get_by_role("checkbox").check()
    publisher.get_by_role("button", name="Compare the two revisions ticked").click()
    difference = publisher.locator("table.revision-differences tbody tr", has_text="Summary (English)")
    assert "Relations with the countries of the Pacific." in difference.inner_text()

    moment = timezone.localtime(timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    publisher.goto(f"/admin/directorates/directorate/{record.pk}/change/")
    publisher.get_by_label("Published").check()
    publisher.locator("#id_publish_at_0").fill(moment.strftime("%Y-%m-%d"))
    publisher.locator("#id_publish_at_1").fill(moment.strftime("%H:%M:%S"))
    publisher.get_by_role("button", name="Save and continue editing").first.click()
    expect_text(publisher, "was changed successfully")

    address = url("directorates:detail", slug="pacific-affairs")
    assert page.goto(address).status == 404
    with time_machine.travel(moment + timedelta(seconds=1), tick=False):
        assert page.goto(address).status == 200
        assert page.get_by_role("heading", name="Directorate for Pacific Affairs").is_visible()

    publisher.goto(f"/admin/directorates/directorate/{record.pk}/change/")
    publisher.get_by_label("Slug").fill("pacific")
    publisher.get_by_role("button", name="Save and continue editing").first.click()
    expect_text(publisher, "was changed successfully")
    publisher_context.close()
    with time_machine.travel(moment + timedelta(minutes=1), tick=False):
        page.goto(address)
        assert page.url.endswith(url("directorates:detail", slug="pacific"))
        assert page.get_by_role("heading", name="Directorate for Pacific Affairs").is_visible()


def expect_text(page, text):
    page.get_by_text(re.compile(re.escape(text))).first.wait_for()
