"""Revisions: every save keeps one; staff compare any two and restore any one."""

import json

import pytest
from django.contrib.messages import get_messages
from django.core import serializers
from django.core.management import call_command
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from reversion.models import Version

from agreements.models import Agreement
from foreignpolicy.imports.undo import undo_import
from foreignpolicy.models import Organisation, Topic
from foreignpolicy.registry import resource_for
from foreignpolicy.revisions import kept_fields, record_revision
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.helpers import csv_text, history, table_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_admin(settings):
    settings.LANGUAGE_CODE = "en"


def admin_url(record, view, *args):
    return reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_{view}", args=[record.pk, *args])


def inline_rows_as_they_are(page):
    """The data of a change form's inlines (an agreement's steps, participants) as shown."""
    data = {}
    for inline in page.context.get("inline_admin_formsets", []):
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        for row in formset.initial_forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None:
                    data[row.add_prefix(name)] = getattr(value, "pk", value)
    return data


def edit(client, record, language="en", **changes):
    """Save the record's change form as staff would, with `changes` made to it."""
    page = client.get(admin_url(record, "change"))
    form = page.context["adminform"].form
    data = inline_rows_as_they_are(page)
    for name, value in form.initial.items():
        if isinstance(value, (list, tuple, QuerySet)):
            data[name] = [getattr(item, "pk", item) for item in value]
        elif isinstance(value, Model):
            data[name] = value.pk
        elif value is True:
            data[name] = "on"
        elif value is not None and value is not False:
            data[name] = value
    data.update(changes)
    response = client.post(admin_url(record, "change"), data, headers={"accept-language": language})
    assert response.status_code == 302, response.context["adminform"].form.errors
    record.refresh_from_db()
    return response


def compared(client, record, *versions, language="en"):
    page = client.get(
        admin_url(record, "compare"), {"revision": [v.pk for v in versions]}, headers={"accept-language": language}
    )
    html = page.content.decode()
    return table_rows(html[html.index('class="revision-differences"') :])[1:]


def linked(record, **links):
    for name, entries in links.items():
        getattr(record, name).set(entries)
    return record


def versions_of(record):
    return list(Version.objects.get_for_object(record).order_by("pk"))


def test_an_edit_keeps_a_revision_and_two_compare_field_by_field_with_relations_by_name(admin_client):
    agreement = linked(AgreementFactory(title_en="Old title"), countries=["CL"])
    edit(admin_client, agreement)
    edit(admin_client, agreement, title_en="New title", countries=["CO", "DE"])
    assert history(admin_client, agreement) == [
        ("admin", "edited", "Title (English), Countries"),
        ("admin", "edited", "First revision"),
    ]
    first, second = versions_of(agreement)
    assert compared(admin_client, agreement, second, first) == [
        ["Title (English)", "Old title", "New title"],
        ["Countries", "removed: Chile", "added: Colombia; Germany"],
    ]
    spanish = compared(admin_client, agreement, first, second, language="es")
    with translation.override("es"):
        title, countries = (str(Agreement._meta.get_field(name).verbose_name) for name in ("title_en", "countries"))
    assert (title, countries) != ("Title (English)", "Countries")
    assert spanish == [
        [title[0].upper() + title[1:], "Old title", "New title"],
        [countries[0].upper() + countries[1:], "eliminados: Chile", "añadidos: Alemania; Colombia"],
    ]


def test_publishing_and_unpublishing_from_the_list_keep_revisions_and_the_time(admin_client, admin_user, import_csv):
    imported = import_csv("agreements", csv_text("slug,title_en,type,status", "a,A,free-trade-agreement,signed"))
    agreement = Agreement.objects.get(slug="a")
    before = agreement.updated_at
    changelist = reverse("admin:agreements_agreement_changelist")
    admin_client.post(changelist, {"action": "publish", "_selected_action": [agreement.pk]})
    agreement.refresh_from_db()
    assert agreement.is_published and agreement.updated_at > before
    assert (agreement.changed_by, agreement.published_by) == (admin_user, admin_user)
    admin_client.post(changelist, {"action": "unpublish", "_selected_action": [agreement.pk]})
    assert [row[1:] for row in history(admin_client, agreement)] == [
        ("returned to draft with the list's action", "Published"),
        ("published with the list's action", "Published"),
        (f"Import #{imported.record.pk} of agreements.csv", "First revision"),
    ]


def test_an_undo_keeps_a_revision_naming_the_undo(admin_client, admin_user, import_csv):
    import_csv("agreements", csv_text("slug,title_en,type,status", "a,A,free-trade-agreement,signed"))
    changed = import_csv("agreements", csv_text("slug,title_en,type,status", "a,Changed,free-trade-agreement,signed"))
    undone = undo_import(changed.record, admin_user, resource_for("agreements"))
    assert history(admin_client, Agreement.objects.get(slug="a"))[0] == (
        "admin",
        f"Import #{undone.record.pk}, the undo of import #{changed.record.pk}",
        "Title (English)",
    )


def test_restoring_brings_back_the_fields_and_relations_as_a_new_revision_never_publishing(admin_client):
    agreement = linked(AgreementFactory(title_en="First", is_published=False), countries=["CL"])
    trade = Topic.objects.first()
    edit(admin_client, agreement)
    first = versions_of(agreement)[0]
    edit(admin_client, agreement, title_en="Second", countries=["PE"], topics=[trade.pk], is_published="on")
    assert agreement.is_published
    edit(admin_client, agreement, is_published="")
    response = admin_client.get(admin_url(agreement, "restore", first.pk))
    assert "It stays a draft: restoring never publishes." in response.content.decode()
    response = admin_client.post(admin_url(agreement, "restore", first.pk), follow=True)
    agreement.refresh_from_db()
    assert (agreement.title_en, agreement.is_published) == ("First", False)
    assert list(agreement.countries.values_list("code", flat=True)) == ["CL"]
    assert not agreement.topics.exists()
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert any(message.endswith("it stays a draft.") for message in messages), messages
    newest = history(admin_client, agreement)[0]
    assert newest[1].startswith("restored the revision of ")
    assert newest[2] == "Title (English), Countries, Topics"


def test_restoring_a_draft_revision_of_a_published_record_leaves_it_published(admin_client):
    agreement = AgreementFactory(title_en="Draft text", is_published=False)
    edit(admin_client, agreement)
    edit(admin_client, agreement, title_en="Published text", is_published="on")
    admin_client.post(admin_url(agreement, "restore", versions_of(agreement)[0].pk))
    agreement.refresh_from_db()
    assert (agreement.title_en, agreement.is_published) == ("Draft text", True)


def test_a_restore_that_would_break_a_rule_says_why_and_changes_nothing(admin_client):
    agreement = AgreementFactory(slug="old-slug")
    edit(admin_client, agreement)
    edit(admin_client, agreement, slug="new-slug")
    AgreementFactory(slug="old-slug")
    kept = Version.objects.count()
    response = admin_client.post(admin_url(agreement, "restore", versions_of(agreement)[0].pk), follow=True)
    assert "Agreement with this Slug already exists." in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.slug == "new-slug" and Version.objects.count() == kept


def test_the_latest_revision_offers_no_restore_and_the_older_ones_do(admin_client):
    agreement = AgreementFactory()
    edit(admin_client, agreement)
    edit(admin_client, agreement, title_en="Changed")
    page = admin_client.get(admin_url(agreement, "history")).content.decode()
    older, latest = versions_of(agreement)
    assert admin_url(agreement, "restore", older.pk) in page
    assert admin_url(agreement, "restore", latest.pk) not in page


def test_comparing_asks_for_two_revisions_of_the_same_record(admin_client):
    agreement, other = AgreementFactory(), AgreementFactory()
    edit(admin_client, agreement)
    edit(admin_client, other)
    response = admin_client.get(
        admin_url(agreement, "compare"), {"revision": [versions_of(agreement)[0].pk, versions_of(other)[0].pk]}
    )
    assert response.status_code == 302 and response.url == admin_url(agreement, "history")
    assert [str(message) for message in get_messages(response.wsgi_request)][-1] == "Choose two revisions to compare."


@pytest.mark.parametrize("kind", ["directorates", "agreements", "events"])
def test_a_revision_written_in_bulk_reads_as_django_reversion_writes_one(kind, settings):
    directorate = linked(DirectorateFactory(), topics=[Topic.objects.first()])
    agreement = linked(
        AgreementFactory(directorate=directorate, signed_on=timezone.localdate()),
        countries=["CL", "PE"],
        organisations=[Organisation.objects.first()],
    )
    event = linked(EventFactory(), agreements=[agreement], directorates=[directorate], countries=["CL"])
    record = {"directorates": directorate, "agreements": agreement, "events": event}[kind]
    record_revision(type(record), [record.pk], user=None, how="import")
    concrete, many = kept_fields(type(record))
    expected = json.loads(serializers.serialize("json", [record], fields=[f.name for f in concrete + many]))
    written = json.loads(Version.objects.get_for_object(record).get().serialized_data)
    for data in (expected, written):
        for field in many:
            data[0]["fields"][field.name].sort()
    assert written == expected


def test_the_list_shows_and_filters_by_who_changed_and_published_last(admin_client, admin_user, django_user_model):
    other = django_user_model.objects.create_user("editor", is_staff=True)
    mine, theirs = AgreementFactory(), AgreementFactory()
    Agreement.objects.filter(pk=mine.pk).update(changed_by=admin_user, published_by=admin_user)
    Agreement.objects.filter(pk=theirs.pk).update(changed_by=other)
    changelist = reverse("admin:agreements_agreement_changelist")
    page = admin_client.get(changelist)
    columns = [str(header["text"]).capitalize() for header in page.context["result_headers"]]
    assert columns[-1] == "Publication" and "Last changed by" not in columns  # who changed and published: filters
    assert list(admin_client.get(changelist, {"changed_by__id__exact": other.pk}).context["cl"].result_list) == [theirs]
    assert list(admin_client.get(changelist, {"published_by__id__exact": admin_user.pk}).context["cl"].result_list) == [
        mine
    ]


def test_records_from_before_revisions_get_a_first_one_from_django_reversions_command(admin_client):
    agreement = linked(AgreementFactory(), countries=["CL"])
    assert history(admin_client, agreement) == []
    call_command("createinitialrevisions", "agreements.Agreement", verbosity=0)
    assert history(admin_client, agreement) == [("—", "Initial version.", "First revision")]
    edit(admin_client, agreement, countries=["PE"])
    assert history(admin_client, agreement)[0] == ("admin", "edited", "Countries")


def test_the_history_page_runs_as_many_queries_for_three_revisions_as_for_thirty(
    admin_client, import_csv, django_assert_max_num_queries
):
    def revisions(count, slug):
        for number in range(count):
            row = f"{slug},T{number},free-trade-agreement,signed,CL"
            import_csv("agreements", csv_text("slug,title_en,type,status,parties", row))
        return Agreement.objects.get(slug=slug)

    few, many = revisions(3, "few"), revisions(30, "many")
    with django_assert_max_num_queries(14) as few_queries:
        history(admin_client, few)
    with django_assert_max_num_queries(len(few_queries)):
        history(admin_client, many)


def test_a_restore_keeps_what_was_deleted_since_out_and_says_so(admin_client):
    directorate = DirectorateFactory(slug="gone-unit")
    topic = Topic.objects.create(slug="gone-topic", name_en="Gone topic", name_es="Tema eliminado")
    agreement = linked(AgreementFactory(title_en="Then", directorate=directorate), topics=[topic])
    edit(admin_client, agreement)
    edit(admin_client, agreement, title_en="Now", topics=[], directorate="")
    directorate.delete()
    topic.delete()
    response = admin_client.post(admin_url(agreement, "restore", versions_of(agreement)[0].pk), follow=True)
    assert [str(message) for message in get_messages(response.wsgi_request)][-2:] == [
        "Responsible directorate: the revision’s entry has been deleted since, so the current one is kept.",
        "Topics: entries deleted since are left out.",
    ]
    agreement.refresh_from_db()
    assert (agreement.title_en, agreement.directorate, list(agreement.topics.all())) == ("Then", None, [])
