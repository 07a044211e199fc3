"""The roles (README, "Roles"): editors draft, publishers publish, importers and exporters
move files; each refusal says so."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from reversion.models import Version

from agreements.models import Agreement
from foreignpolicy.registry import resource_for
from foreignpolicy.tabular import read_csv
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory, StaffFactory
from tests.helpers import csv_text, problems, table_rows

pytestmark = pytest.mark.django_db

EDITORS, PUBLISHERS, FILES = "Editors", "Publishers", "Importers and exporters"
FACTORIES = {"directorate": DirectorateFactory, "agreement": AgreementFactory, "event": EventFactory}
CHANGELIST = reverse("admin:agreements_agreement_changelist")


@pytest.fixture(autouse=True)
def english_admin(settings):
    settings.LANGUAGE_CODE = "en"


def member_of(client, *groups):
    user = StaffFactory()
    user.groups.set(Group.objects.filter(name__in=groups))
    client.force_login(user)
    return user


def admin_url(record, view, *args):
    return reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_{view}", args=[record.pk, *args])


def model_admin_of(record):
    return admin.site._registry[type(record)]


def said(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_three_roles_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {EDITORS, PUBLISHERS, FILES}


@pytest.mark.parametrize("kind", sorted(FACTORIES))
@pytest.mark.parametrize(
    ("groups", "changes_draft", "changes_published", "deletes_draft", "deletes_published", "publishes"),
    [
        ((EDITORS,), True, False, True, False, False),
        ((PUBLISHERS,), True, True, True, True, True),
        ((FILES,), False, False, False, False, False),
    ],
)
def test_what_each_role_may_do_to_drafts_and_published_records(
    client, kind, groups, changes_draft, changes_published, deletes_draft, deletes_published, publishes
):
    user = member_of(client, *groups)
    draft, published = FACTORIES[kind](is_published=False), FACTORIES[kind](is_published=True)
    model_admin = model_admin_of(draft)
    request = type("Request", (), {"user": user})()
    assert model_admin.has_change_permission(request, draft) is changes_draft
    assert model_admin.has_change_permission(request, published) is changes_published
    assert model_admin.has_delete_permission(request, draft) is deletes_draft
    assert model_admin.has_delete_permission(request, published) is deletes_published
    assert model_admin.has_publish_permission(request) is publishes
    # What the pages do with it.
    assert client.get(admin_url(draft, "change")).status_code == (200 if changes_draft or FILES in groups else 403)
    refused = client.post(admin_url(published, "delete"), {"post": "yes"}, follow=True)
    assert type(published).objects.filter(pk=published.pk).exists() is not deletes_published
    if EDITORS in groups:
        assert "This record is published: only a publisher can change or delete it." in said(refused)
    elif FILES in groups:
        assert refused.status_code == 403


def test_a_superuser_does_everything(admin_client):
    published = AgreementFactory(is_published=True)
    assert admin_client.get(admin_url(published, "change")).context["has_change_permission"]
    admin_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [published.pk]})
    published.refresh_from_db()
    assert not published.is_published


def test_an_editor_drafts_with_the_form_and_cannot_set_it_published(client):
    member_of(client, EDITORS)
    page = client.get(reverse("admin:agreements_agreement_add")).content.decode()
    assert 'name="is_published"' not in page
    draft = AgreementFactory(is_published=False)
    form = client.get(admin_url(draft, "change")).context["adminform"].form
    assert "is_published" not in form.fields and "publish_at" not in form.fields


def test_an_editor_sees_a_published_record_read_only_and_is_told_why(client):
    member_of(client, EDITORS)
    published = AgreementFactory(is_published=True, title_en="Kept")
    response = client.get(admin_url(published, "change"))
    assert response.status_code == 200 and not response.context["has_change_permission"]
    assert "This record is published: only a publisher can change or delete it." in said(response)
    refused = client.post(admin_url(published, "change"), {"title_en": "Changed"}, follow=True)
    assert refused.redirect_chain == [(admin_url(published, "change"), 302)]
    assert "This record is published: only a publisher can change or delete it." in said(refused)
    published.refresh_from_db()
    assert published.title_en == "Kept"


def test_only_publishers_are_offered_and_can_use_the_publish_actions(client):
    draft = AgreementFactory(is_published=False)
    member_of(client, EDITORS)
    actions = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert "publish" not in dict(actions) and "unpublish" not in dict(actions)
    response = client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert "No action selected." in said(response)
    draft.refresh_from_db()
    assert not draft.is_published
    member_of(client, PUBLISHERS)
    client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.is_published


def test_restoring_a_published_record_is_for_publishers(client, import_csv):
    import_csv("agreements", csv_text("slug,title_en,type,status,published", "a,A,free-trade-agreement,signed,yes"))
    import_csv("agreements", csv_text("slug,title_en,type,status,published", "a,B,free-trade-agreement,signed,yes"))
    agreement = Agreement.objects.get(slug="a")
    first = Version.objects.get_for_object(agreement).order_by("pk").first()
    member_of(client, EDITORS)
    assert client.post(admin_url(agreement, "restore", first.pk)).status_code == 403
    member_of(client, PUBLISHERS)
    assert client.post(admin_url(agreement, "restore", first.pk)).status_code == 302
    agreement.refresh_from_db()
    assert agreement.title_en == "A"


# For each kind: its title column, and the other columns a row needs, filled in.
ROWS = {
    "directorates": ("name_en", "", ""),
    "agreements": ("title_en", ",type,status", ",free-trade-agreement,signed"),
    "events": ("title_en", ",date,type", ",2026-01,summit"),
}


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_an_editors_import_makes_and_changes_drafts_only(client, kind):
    editor = member_of(client, EDITORS, FILES)
    factory = FACTORIES[kind.removesuffix("s")]
    factory(slug="public-one", is_published=True)
    factory(slug="draft-one", is_published=False)
    title, columns, cells = ROWS[kind]

    def file(*rows):
        header = f"slug,{title}{columns},published"
        return read_csv(csv_text(header, *(f"{slug},{text}{cells},{state}" for slug, text, state in rows)).encode())

    result = resource_for(kind).import_data(
        file(
            ("new-draft", "A new draft", "no"),
            ("new-public", "Would go public", "yes"),
            ("draft-one", "A changed draft", ""),
            ("public-one", "A changed public record", "yes"),
            ("public-two", "Would go public too", "sí"),
        ),
        dry_run=True,
        user=editor,
    )
    assert problems(result) == [
        "Row 3, column “published”: Only a publisher can publish: leave the cell empty or write “no”.",
        "Row 5, column “slug”: “public-one” is published: only a publisher can change it.",
        "Row 6, column “published”: Only a publisher can publish: leave the cell empty or write “no”.",
    ]
    drafts_only = file(("new-draft", "A new draft", "no"), ("draft-one", "A changed draft", ""))
    result = resource_for(kind).import_data(drafts_only, dry_run=False, user=editor)
    assert problems(result) == [] and (result.totals["new"], result.totals["update"]) == (1, 1)


def test_a_publishers_import_publishes(import_csv, client):
    publisher = member_of(client, PUBLISHERS, FILES)
    text = csv_text("slug,title_en,type,status,published", "a,A,free-trade-agreement,signed,yes")
    result = resource_for("agreements").import_data(read_csv(text.encode()), dry_run=False, user=publisher)
    assert problems(result) == []
    assert Agreement.objects.get(slug="a").published_by == publisher


def test_the_editors_refusal_reaches_the_admins_preview(client):
    member_of(client, EDITORS, FILES)
    text = "slug,title_en,type,status,published\nx,X,free-trade-agreement,signed,yes\n"
    upload = SimpleUploadedFile("agreements.csv", text.encode())
    page = client.post(reverse("admin:agreements_agreement_import"), {"import_file": upload}, follow=True)
    assert ["2", "published", "Only a publisher can publish: leave the cell empty or write “no”."] in table_rows(
        page.content.decode()
    )
    assert not Agreement.objects.exists()


def test_files_role_alone_may_export_but_not_import(client):
    member_of(client, FILES)
    assert client.get(reverse("admin:agreements_agreement_export")).status_code == 200
    assert client.get(reverse("admin:agreements_agreement_import")).status_code == 403


def test_undoing_an_import_needs_a_publisher_who_imports(client, import_csv):
    imported = import_csv("agreements", csv_text("slug,title_en,type,status", "a,A,free-trade-agreement,signed"))
    undo = reverse("admin:foreignpolicy_importrecord_undo", args=[imported.record.pk])
    member_of(client, EDITORS, FILES)
    assert client.get(undo).status_code == 403
    member_of(client, PUBLISHERS, FILES)
    assert client.get(undo).status_code == 200
