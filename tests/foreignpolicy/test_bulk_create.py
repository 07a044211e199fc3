"""The write stage's bulk inserts: on PostgreSQL a COPY that writes what Django's
bulk_create writes, inside the import's transaction; elsewhere bulk_create itself."""

import datetime

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from reversion.models import Version

from agreements.models import Agreement, AgreementStatus, AgreementType
from foreignpolicy.bulk import bulk_create, insert_values
from foreignpolicy.imports import writing
from foreignpolicy.models import ImportRecord, Topic
from tests.helpers import csv_text, problems

pytestmark = pytest.mark.django_db

FILE = csv_text(
    "slug,title_en,type,status,parties,directorate,topics,signed_on,published",
    "first-new,First new,framework-agreement,signed,CL;OAS,economic-affairs,trade;culture,2001-02,yes",
    "second-new,Second new,framework-agreement,signed,CN,economic-affairs,,2020,no",
)
COMPARED = [
    field.attname
    for field in Agreement._meta.concrete_fields
    if field.name not in ("id", "slug", "created_at", "updated_at")
]


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def agreement(slug):
    record = Agreement(
        slug=slug,
        title_en="Trade “pact”\tof\\2001\nnewline",
        title_es="Acuerdo Ñandú",
        type=AgreementType.objects.get(slug="free-trade-agreement"),
        status=AgreementStatus.objects.get(code="in_force"),
        signed_on=datetime.date(2001, 2, 1),
        signed_on_precision="month",
        summary_en="",
    )
    record.refresh_search_text()
    return record


def test_the_bulk_insert_writes_what_django_bulk_create_writes():
    [django_made] = Agreement.objects.bulk_create([agreement("by-django")])
    [ours] = bulk_create(Agreement, [agreement("by-copy")])
    assert ours.pk and not ours._state.adding
    stored = Agreement.objects.get(pk=ours.pk)
    assert stored.slug == "by-copy"
    rows = Agreement.objects.filter(pk__in=[django_made.pk, ours.pk]).values_list(*COMPARED)
    assert rows[0] == rows[1]
    assert stored.created_at and stored.updated_at and stored.created_at == ours.created_at
    assert stored.updated_at >= Agreement.objects.get(pk=django_made.pk).updated_at


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search vector is PostgreSQL's")
def test_the_database_computes_the_search_vector_of_copied_records():
    [record] = bulk_create(Agreement, [agreement("by-copy")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM agreements_agreement WHERE id = %s", [record.pk])
        assert "'nandu'" in cursor.fetchone()[0]
    assert list(Agreement.objects.search("ñandú")) == [record]


def test_links_written_without_their_keys_are_all_there():
    record = bulk_create(Agreement, [agreement("linked")])[0]
    through = Agreement.topics.through
    topics = list(Topic.objects.all()[:2])
    links = bulk_create(through, [through(agreement_id=record.pk, topic_id=topic.pk) for topic in topics], pks=False)
    assert len(links) == 2
    assert set(record.topics.all()) == set(topics)


def test_links_written_as_values_are_all_there_and_every_field_needs_one():
    record = bulk_create(Agreement, [agreement("linked")])[0]
    through = Agreement.topics.through
    topics = list(Topic.objects.all()[:3])
    insert_values(through, ["agreement_id", "topic_id"], [(record.pk, topic.pk) for topic in topics])
    assert set(record.topics.all()) == set(topics)
    with pytest.raises(ValueError, match="needs a value for every field"):
        insert_values(through, ["agreement_id"], [(record.pk,)])


def test_each_copy_counts_as_a_query():
    records = [agreement("counted-1"), agreement("counted-2")]
    with CaptureQueriesContext(connection) as queries:
        bulk_create(Agreement, records)
    expected = 2 if connection.vendor == "postgresql" else 1  # the keys, then the COPY
    assert len(queries) == expected
    assert queries[-1]["sql"].startswith("COPY " if connection.vendor == "postgresql" else "INSERT ")


def test_a_refused_insert_is_a_database_error_and_rolls_back_what_came_before():
    with pytest.raises(DatabaseError), transaction.atomic():
        bulk_create(Agreement, [agreement("kept-out")])
        bulk_create(Agreement, [agreement("twice"), agreement("twice")])
    assert not Agreement.objects.filter(slug__in=["kept-out", "twice"]).exists()


def test_an_import_that_fails_after_writing_its_records_and_links_writes_nothing(import_csv, demo, monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    models = (Agreement, Agreement.topics.through, Agreement.countries.through, Version, ImportRecord)
    before = [model.objects.count() for model in models]
    monkeypatch.setattr(writing, "record_revision", refuse)
    result = import_csv("agreements", FILE)
    assert problems(result) == ["The database refused the import and nothing was saved: disk full"]
    assert [model.objects.count() for model in models] == before


def test_an_import_writes_its_records_links_and_history_in_file_order(import_csv, demo):
    result = import_csv("agreements", FILE)
    assert not result.problems
    first, second = Agreement.objects.get(slug="first-new"), Agreement.objects.get(slug="second-new")
    assert first.pk < second.pk
    assert {topic.slug for topic in first.topics.all()} == {"trade", "culture"}
    assert {str(party) for party in first.parties} and second.is_published is False
    versions = Version.objects.filter(object_id__in=[str(first.pk), str(second.pk)])
    assert sorted(version.object_id for version in versions) == sorted([str(first.pk), str(second.pk)])
    assert {version.revision.source.import_record for version in versions} == {result.record}
