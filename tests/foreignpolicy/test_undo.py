"""Undoing a confirmed import: created records go, changed ones get their values back,
relations included; refused, naming the records, when any of them changed since."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement
from directorates.models import Directorate
from events.models import Event
from foreignpolicy.imports import undo as undo_module
from foreignpolicy.imports.undo import dataset_of_previous_values, undo_import
from foreignpolicy.imports.writing import unpack_undo_data
from foreignpolicy.models import ImportRecord
from foreignpolicy.registry import resource_for, resource_for_model
from foreignpolicy.tabular import write_csv
from tests.factories import EventFactory
from tests.helpers import csv_text, history, problems, then_meanwhile

pytestmark = pytest.mark.django_db

FILES = {
    "directorates": csv_text(
        "slug,acronym,name_en,parent,topics,published",
        "new-unit,NU,New unit,economic-affairs,trade,yes",
        "new-child,,New child,new-unit,,yes",
        "environment,DMA,Environment (renamed),new-unit,culture,no",
    ),
    "agreements": csv_text(
        "slug,title_en,type,status,parties,directorate,topics,signed_on",
        "peru-chile-fta,Peru–Chile FTA (renamed),framework-agreement,signed,CN;OAS,environment,culture,2001-02",
        "brand-new,Brand new,Acuerdo marco,signed,CL,economic-affairs,,2020",
    ),
    "events": csv_text(
        "slug,title_en,date,type,participants,agreements,published",
        "ipcc-63-lima,IPCC (renamed),2025-09-01,summit,CL;OAS,peru-chile-fta,yes",
        "brand-new-event,Brand new event,2026,summit,,paris-agreement,no",
    ),
}


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def export_all():
    return {kind: write_csv(resource_for(kind).export()) for kind in ("directorates", "agreements", "events")}


def undo(record, user, **kwargs):
    return undo_import(record, user, resource_for_model(record.content_type.model_class()), **kwargs)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_undoing_an_import_leaves_every_export_byte_identical_to_before(import_csv, demo, admin_user, kind):
    before = export_all()
    imported = import_csv(kind, FILES[kind])
    assert problems(imported) == []
    assert export_all() != before
    result = undo(imported.record, admin_user)
    assert problems(result) == []
    assert export_all() == before
    assert result.record.undoes == imported.record
    assert result.record.deleted == imported.record.created


def test_the_history_of_an_undone_record_names_the_undo_and_links_it(
    import_csv, demo, admin_client, admin_user, settings
):
    settings.LANGUAGE_CODE = "en"
    imported = import_csv("agreements", FILES["agreements"])
    undo_record = undo(imported.record, admin_user).record
    agreement = Agreement.objects.get(slug="peru-chile-fta")
    page = admin_client.get(reverse("admin:agreements_agreement_history", args=[agreement.pk])).content.decode()
    link = reverse("admin:foreignpolicy_importrecord_change", args=[undo_record.pk])
    assert f'<a href="{link}">Import #{undo_record.pk}, the undo of import #{imported.record.pk}</a>' in page
    undone, imported_row = history(admin_client, agreement)[:2]
    assert undone[2] == imported_row[2] and "Title (English)" in undone[2]


def test_an_undo_is_recorded_and_cannot_be_repeated_or_undone(import_csv, demo, admin_user):
    imported = import_csv("agreements", FILES["agreements"])
    result = undo(imported.record, admin_user)
    assert result.summary() == ("1 record restored to its values before the import; 1 record it created deleted")
    again = undo(ImportRecord.objects.get(pk=imported.record.pk), admin_user)
    assert problems(again) == [f"This import was already undone by #{result.record.pk}."]
    assert problems(undo(result.record, admin_user)) == [
        f"This is the undo of import #{imported.record.pk}; to redo it, import that file again."
    ]


def test_undo_is_refused_naming_the_records_changed_since(import_csv, demo, admin_user):
    imported = import_csv("agreements", FILES["agreements"])
    agreement = Agreement.objects.get(slug="brand-new")
    agreement.title_en = "Edited by hand"
    agreement.save()
    result = undo(imported.record, admin_user)
    assert problems(result) == ["These records were changed after the import, so it cannot be undone: brand-new."]
    assert Agreement.objects.filter(slug="brand-new").exists()
    assert Agreement.objects.get(slug="peru-chile-fta").title_en == "Peru–Chile FTA (renamed)"


def test_undo_is_refused_for_a_record_put_back_as_it_was_without_its_update_time(import_csv, demo, admin_user):
    before = Agreement.objects.get(slug="peru-chile-fta").updated_at
    imported = import_csv("agreements", FILES["agreements"])
    data = unpack_undo_data(imported.record)
    import_csv("agreements", write_csv(dataset_of_previous_values(data["updated"])).decode())
    # Put back by someone who left the update time alone (a script, SQL).
    Agreement.objects.filter(slug="peru-chile-fta").update(updated_at=before)
    result = undo(imported.record, admin_user)
    assert problems(result) == ["These records were changed after the import, so it cannot be undone: peru-chile-fta."]


def test_undo_is_refused_when_another_record_now_names_a_record_it_created(import_csv, demo, admin_user):
    imported = import_csv("agreements", FILES["agreements"])
    EventFactory(slug="later-event", title_en="Later event").agreements.add(Agreement.objects.get(slug="brand-new"))
    result = undo(imported.record, admin_user)
    assert problems(result) == [
        "Records this import created are now named by other events, so it cannot be undone: Later event."
    ]


def test_undo_is_refused_when_a_record_was_deleted_since(import_csv, demo, admin_user):
    imported = import_csv("events", FILES["events"])
    Event.objects.filter(slug="ipcc-63-lima").delete()
    assert problems(undo(imported.record, admin_user)) == [
        "These records were deleted after the import, so it cannot be undone: ipcc-63-lima."
    ]


def test_undo_import_command_dry_run_then_undo(import_csv, demo, capsys):
    imported = import_csv("directorates", FILES["directorates"])
    call_command("undo_import", str(imported.record.pk), "--dry-run", "--language", "en")
    assert Directorate.objects.filter(slug="new-unit").exists()
    assert "Dry run, nothing written" in capsys.readouterr().out
    call_command("undo_import", str(imported.record.pk), "--language", "en")
    assert not Directorate.objects.filter(slug__in=["new-unit", "new-child"]).exists()
    assert Directorate.objects.get(slug="environment").name_en != "Environment (renamed)"
    with pytest.raises(CommandError, match="was not undone"):
        call_command("undo_import", str(imported.record.pk), "--language", "en")


def test_the_admin_shows_what_undo_will_do_and_does_it_on_confirmation(import_csv, demo, admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    imported = import_csv("agreements", FILES["agreements"])
    page = admin_client.get(reverse("admin:foreignpolicy_importrecord_change", args=[imported.record.pk]))
    undo_url = reverse("admin:foreignpolicy_importrecord_undo", args=[imported.record.pk])
    assert undo_url in page.content.decode()
    preview = admin_client.get(undo_url)
    assert "1 record restored to its values before the import; 1 record it created deleted" in preview.content.decode()
    assert Agreement.objects.filter(slug="brand-new").exists()
    response = admin_client.post(undo_url)
    assert response.status_code == 302
    assert not Agreement.objects.filter(slug="brand-new").exists()


def test_undo_in_the_admin_needs_the_kinds_import_delete_and_publish_permissions(import_csv, demo, client):
    imported = import_csv("agreements", FILES["agreements"])
    editor = User.objects.create_user("editor", password="x", is_staff=True)
    codenames = ["view_importrecord", "import_agreement", "add_agreement", "change_agreement"]
    editor.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(editor)
    undo_url = reverse("admin:foreignpolicy_importrecord_undo", args=[imported.record.pk])
    assert client.post(undo_url).status_code == 403
    assert Agreement.objects.filter(slug="brand-new").exists()
    editor.user_permissions.add(Permission.objects.get(codename="delete_agreement"))
    assert client.post(undo_url).status_code == 403
    editor.user_permissions.add(Permission.objects.get(codename="publish_agreement"))
    assert client.post(undo_url).status_code == 302


def test_a_large_undo_runs_in_the_worker_behind_its_progress_page(
    import_csv, demo, admin_client, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    settings.UNDO_INLINE_MAX_RECORDS = 1
    imported = import_csv("agreements", FILES["agreements"])
    undo_url = reverse("admin:foreignpolicy_importrecord_undo", args=[imported.record.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(undo_url)
    assert "/admin/agreements/agreement/jobs/" in response.url
    page = admin_client.get(response.url).content.decode()
    assert "undone: 1 record restored to its values before the import; 1 record it created deleted" in page
    assert not Agreement.objects.filter(slug="brand-new").exists()
    assert ImportRecord.objects.get(undoes=imported.record)


def test_undo_checks_again_under_lock_what_changed_after_its_preview(import_csv, demo, admin_user, monkeypatch):
    imported = import_csv("agreements", FILES["agreements"])
    then_meanwhile(
        monkeypatch,
        undo_module,
        "plan_import",
        lambda: Agreement.objects.filter(slug="peru-chile-fta").update(
            title_en="Edited meanwhile", updated_at=timezone.now()
        ),
    )
    result = undo(imported.record, admin_user)
    assert problems(result) == ["These records were changed after the import, so it cannot be undone: peru-chile-fta."]
    assert Agreement.objects.get(slug="peru-chile-fta").title_en == "Edited meanwhile"
    assert Agreement.objects.filter(slug="brand-new").exists()
    assert not ImportRecord.objects.filter(undoes=imported.record).exists()
