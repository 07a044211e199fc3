"""Permanent addresses: a renamed record's old addresses lead to it (301), and a record
the public could see, returned to draft, leaves a notice at its address (410)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from reversion.models import Version

from agreements.models import Agreement
from foreignpolicy.imports.undo import undo_import
from foreignpolicy.models import PreviousSlug
from foreignpolicy.registry import resource_for
from foreignpolicy.revisions import restore
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.foreignpolicy.test_revisions import edit
from tests.helpers import csv_text, problems, url

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:agreements_agreement_changelist")
FACTORIES = {"directorates": DirectorateFactory, "agreements": AgreementFactory, "events": EventFactory}


@pytest.fixture(autouse=True)
def english_admin(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_after_two_renames_both_old_addresses_answer_301_to_the_page_in_each_language(admin_client, client, kind):
    record = FACTORIES[kind](slug="first", is_published=True)
    edit(admin_client, record, slug="second")
    edit(admin_client, record, slug="third")
    for language in ("en", "es"):
        current = url(f"{kind}:detail", language, slug="third")
        for old in ("first", "second"):
            response = client.get(url(f"{kind}:detail", language, slug=old))
            assert (response.status_code, response["Location"]) == (301, current), (language, old)
        assert client.get(current).status_code == 200


def test_a_slug_taken_again_leads_to_its_record_and_one_given_to_another_record_to_that_one(admin_client, client):
    agreement = AgreementFactory(slug="a", is_published=True)
    edit(admin_client, agreement, slug="b")
    edit(admin_client, agreement, slug="a")
    assert client.get(url("agreements:detail", slug="a")).status_code == 200
    assert client.get(url("agreements:detail", slug="b")).status_code == 301
    other = AgreementFactory(slug="b", is_published=True, title_en="Another")
    assert client.get(url("agreements:detail", slug="b")).context["agreement"] == other


def test_an_old_address_of_a_draft_leads_nowhere(admin_client, client):
    agreement = AgreementFactory(slug="old", is_published=False)
    edit(admin_client, agreement, slug="secret-new-name")
    response = client.get(url("agreements:detail", slug="old"))
    assert response.status_code == 404 and "secret-new-name" not in response.content.decode()
    assert admin_client.get(url("agreements:detail", slug="old")).status_code == 301  # staff preview it


def test_a_restore_that_brings_back_an_old_slug_keeps_the_newer_one_leading_to_it(admin_client, client):
    agreement = AgreementFactory(slug="original", is_published=True)
    edit(admin_client, agreement)
    edit(admin_client, agreement, slug="renamed")
    restore(Version.objects.get_for_object(agreement).order_by("pk").first(), None)
    assert Agreement.objects.get(pk=agreement.pk).slug == "original"
    response = client.get(url("agreements:detail", slug="renamed"))
    assert response.status_code == 301 and response["Location"] == url("agreements:detail", slug="original")


def notice(client, slug, language="en"):
    response = client.get(url("agreements:detail", language, slug=slug))
    return response.status_code, response.content.decode()


def test_unpublishing_a_public_record_leaves_a_withdrawal_notice_in_both_languages(admin_client, client):
    agreement = AgreementFactory(slug="pe-xx", title_en="Peru–X FTA", title_es="TLC Perú–X", is_published=True)
    with time_machine.travel("2026-11-30 15:00 -05:00", tick=False):
        admin_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [agreement.pk]})
    status, page = notice(client, "pe-xx")
    assert status == 410
    assert "“Peru–X FTA” was withdrawn from this site on 30 November 2026." in page
    status, page = notice(client, "pe-xx", "es")
    with translation.override("es"):
        assert status == 410 and "“TLC Perú–X” se retiró de este sitio el 30 de noviembre de 2026." in page
    assert client.get(url("agreements:list")).content.decode().count("pe-xx") == 0


def test_a_publisher_may_remove_a_record_without_a_notice(admin_client, client):
    public, withdrawn = AgreementFactory(slug="p", is_published=True), AgreementFactory(slug="w", is_published=True)
    admin_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [withdrawn.pk]})
    assert notice(client, "w")[0] == 410
    admin_client.post(CHANGELIST, {"action": "remove_from_public", "_selected_action": [public.pk, withdrawn.pk]})
    assert (notice(client, "p")[0], notice(client, "w")[0]) == (404, 404)


def test_the_form_and_the_import_leave_the_notice_too_and_publishing_again_takes_it_away(
    admin_client, client, import_csv
):
    by_form = AgreementFactory(slug="by-form", is_published=True)
    edit(admin_client, by_form, is_published="")
    assert notice(client, "by-form")[0] == 410
    import_csv(
        "agreements", csv_text("slug,title_en,type,status,published", "by-import,I,free-trade-agreement,signed,yes")
    )
    import_csv(
        "agreements", csv_text("slug,title_en,type,status,published", "by-import,I,free-trade-agreement,signed,no")
    )
    assert notice(client, "by-import")[0] == 410
    edit(admin_client, by_form, is_published="on")
    assert notice(client, "by-form")[0] == 200


def test_a_draft_never_public_or_a_scheduled_one_leaves_no_notice(admin_client, client):
    never = AgreementFactory(slug="never", is_published=False)
    edit(admin_client, never, title_en="Edited")
    scheduled = AgreementFactory(slug="scheduled", is_published=True, publish_at=timezone.now() + timedelta(days=1))
    admin_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [scheduled.pk]})
    assert (notice(client, "never")[0], notice(client, "scheduled")[0]) == (404, 404)
    assert not PreviousSlug.objects.exists()


def test_an_import_renames_with_previous_slug_and_the_old_address_answers_301(import_csv, client):
    header = "slug,title_en,type,status,published"
    import_csv("agreements", csv_text(header, "old-name,Treaty,free-trade-agreement,signed,yes"))
    renaming = csv_text(header + ",previous_slug", "new-name,Treaty,free-trade-agreement,signed,yes,old-name")
    preview = import_csv("agreements", renaming, dry_run=True)
    assert [(row.import_type, row.changes) for row in preview.rows] == [("update", [("slug", "old-name", "new-name")])]
    renamed = import_csv("agreements", renaming)
    assert problems(renamed) == []
    assert list(Agreement.objects.values_list("slug", flat=True)) == ["new-name"]
    response = client.get(url("agreements:detail", slug="old-name"))
    assert response.status_code == 301 and response["Location"] == url("agreements:detail", slug="new-name")
    assert [row.import_type for row in import_csv("agreements", renaming, dry_run=True).rows] == ["skip"]


def test_undoing_an_import_that_renamed_renames_back(import_csv, client, admin_user):
    header = "slug,title_en,type,status,published"
    import_csv("agreements", csv_text(header, "old-name,Treaty,free-trade-agreement,signed,yes"))
    renamed = import_csv(
        "agreements", csv_text(header + ",previous_slug", "new-name,Treaty,free-trade-agreement,signed,yes,old-name")
    )
    undone = undo_import(renamed.record, admin_user, resource_for("agreements"))
    assert problems(undone) == []
    assert list(Agreement.objects.values_list("slug", flat=True)) == ["old-name"]
    response = client.get(url("agreements:detail", slug="new-name"))
    assert response.status_code == 301 and response["Location"] == url("agreements:detail", slug="old-name")


def test_a_rename_to_a_taken_slug_or_from_an_unknown_one_is_an_error_naming_the_row(import_csv):
    header = "slug,title_en,type,status"
    import_csv("agreements", csv_text(header, "a,A,free-trade-agreement,signed", "b,B,free-trade-agreement,signed"))
    result = import_csv(
        "agreements",
        csv_text(header + ",previous_slug", "b,A,free-trade-agreement,signed,a", "c,C,free-trade-agreement,signed,zz"),
    )
    assert problems(result) == [
        "Row 2, column “slug”: “b” is already the slug of another record, so “a” cannot take it.",
        "Row 3, column “previous_slug”: No record has the slug “zz”.",
    ]
    assert sorted(Agreement.objects.values_list("slug", flat=True)) == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "kwargs", "parameter"),
    [
        ("events:list", {}, "agreement"),
        ("events:atom", {}, "agreement"),
        ("events:calendar", {}, "agreement"),
        ("events:download", {"format": "csv"}, "agreement"),
        ("events:list", {}, "directorate"),
        ("agreements:list", {}, "directorate"),
        ("agreements:download", {"format": "json"}, "directorate"),
    ],
)
def test_lists_downloads_and_feeds_filtered_by_an_old_slug_answer_301_with_the_new_one(
    admin_client, client, name, kwargs, parameter
):
    kind = {"agreement": "agreements", "directorate": "directorates"}[parameter]
    record = FACTORIES[kind](slug="before", is_published=True)
    edit(admin_client, record, slug="after")
    for language in ("en", "es"):
        address = url(name, language, **kwargs)
        response = client.get(address, {parameter: "before", "q": "x"})
        assert response.status_code == 301, (name, language)
        assert response["Location"] == f"{address}?{parameter}=after&q=x"


def test_a_file_that_renames_without_a_slug_column_is_refused_for_the_file(import_csv):
    result = import_csv("agreements", csv_text("title_en,type,status,previous_slug", "A,free-trade-agreement,signed,a"))
    assert problems(result) == ["Column “previous_slug”: a file that renames records needs a slug column too."]
