"""Backups: `backup` writes every record and vocabulary as a zip of CSV files, and `restore`
loads one into an empty, migrated database, after which every export is byte for byte
what it was. A backup with any problem is refused with messages naming the file, row and
column, and nothing is written."""

import csv
import io
import json
import os
import zipfile
from datetime import date, datetime, timedelta
from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.template.defaultfilters import filesizeformat
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from reversion.models import Version

from agreements.models import Agreement, AgreementStatus, AgreementType, Participant, Step, StepKind
from directorates.models import Directorate
from events.models import Event, EventType
from foreignpolicy import tabular
from foreignpolicy.backups import layout
from foreignpolicy.backups.layout import VOCABULARIES
from foreignpolicy.models import Country, ImportRecord, Organisation, PreviousSlug, Topic, record_links
from foreignpolicy.partial_dates import Precision
from foreignpolicy.registry import RECORDS
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.helpers import then_meanwhile, url

pytestmark = pytest.mark.django_db

KINDS = ("directorates", "agreements", "steps", "participants", "events")
VOCABULARY_MIGRATIONS = (
    "foreignpolicy.migrations.0002_vocabularies",
    "agreements.migrations.0002_vocabularies",
    "events.migrations.0002_vocabularies",
)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, "--language", "en", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refusal(*args):
    """What a refused command prints, and the reason it exits with."""
    err = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(*args, "--language", "en", stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines(), str(refused.value)


@pytest.fixture
def content():
    """The demo, and what staff do to a site: vocabulary entries added, renamed and
    deleted, drafts and published records linked both ways, dates at every precision,
    texts in one language or both, a scheduled publication and a renamed record, and text
    stored before the import and the admin refused markup in it."""
    call_command("load_demo", stdout=StringIO())
    ocean = Topic.objects.create(slug="ocean-affairs", name_en="Ocean affairs", name_es="Asuntos oceánicos", position=3)
    Topic.objects.filter(slug="trade").update(name_en="Trade and investment", name_es="Comercio e inversiones")
    forum = Organisation.objects.create(
        slug="pacific-islands-forum",
        name_en="Pacific Islands Forum",
        name_es="Foro de las Islas del Pacífico",
        acronym_en="PIF",
        acronym_es="FIP",
    )
    AgreementStatus.objects.filter(code="in_force").update(name_es="En vigor", position=9)
    Country.objects.filter(code="CL").update(other_names="Chili; República de Chile")
    digital = AgreementType.objects.create(
        slug="digital-economy-agreement", name_en="Digital economy agreement", name_es="Acuerdo de economía digital"
    )
    EventType.objects.filter(slug="official-visit").delete()

    unit = DirectorateFactory(
        slug="ocean-unit",
        acronym="DOC",
        name_en="Ocean unit",
        name_es="Unidad del océano",
        parent=Directorate.objects.get(slug="economic-affairs"),
        is_published=False,
        body_es="- una lista\n- de dos líneas",
        body_en="Stored before scripts were refused: <script>alert(1)</script>",
        position=4,
    )
    unit.topics.add(ocean)
    chile = Country.objects.get(code="CL")
    pact = AgreementFactory(
        slug="ocean-pact",
        title_en="",
        title_es="Pacto del océano",
        type=digital,
        directorate=unit,
        signed_on=date(2009, 1, 1),
        signed_on_precision=Precision.YEAR,
        in_force_on=date(2009, 8, 1),
        in_force_on_precision=Precision.MONTH,
        summary_en="=1+1 is not a formula here",
        publish_at=timezone.now() + timedelta(days=30, seconds=17),
    )
    pact.countries.add(chile)
    pact.organisations.add(forum)
    pact.topics.add(ocean)
    signature = StepKind.objects.get(slug="signature")
    Step.objects.create(agreement=pact, kind=signature, date=date(2009, 1, 1), date_precision=Precision.YEAR)
    Step.objects.create(
        agreement=pact,
        kind=StepKind.objects.get(slug="congressional-approval"),
        date=date(2009, 5, 1),
        date_precision=Precision.MONTH,
        reference="Resolución Legislativa N° 29999",
        url="https://example.org/el-peruano/29999",
        note_es="Aprobado por el Pleno",
    )
    Participant.objects.create(agreement=pact, country=chile, consent_on=date(2009, 6, 2), consent_kind="ratification")
    Participant.objects.create(agreement=pact, organisation=forum, withdrawn_on=date(2010, 1, 1))
    draft = AgreementFactory(slug="draft-pact", title_en="Draft pact", is_published=False, signed_on=None)
    renamed = Agreement.objects.get(pk=AgreementFactory(slug="old-name", title_en="Renamed pact").pk)
    renamed.slug = "new-name"
    renamed.save()
    summit = EventFactory(
        slug="ocean-summit",
        title_en="Ocean summit",
        title_es="Cumbre del océano",
        date=date(2025, 11, 1),
        date_precision=Precision.MONTH,
        end_date=date(2025, 11, 30),
        location="Lima",
        country=chile,
        summary_en='Stored before HTML was refused: <img/src="x"/onerror=alert(2)>',
    )
    summit.agreements.add(pact, draft, Agreement.objects.get(slug="peru-chile-fta"))
    summit.directorates.add(unit)
    summit.organisations.add(forum)
    summit.topics.add(ocean)


def exports(client, tmp_path):
    """Every export the site makes of its records: export_csv in CSV and in Excel (each
    part of the workbook but its creation time), and the public downloads in both
    languages."""
    made = {}
    for kind in KINDS:
        for extension in ("csv", "xlsx"):
            output = tmp_path / f"export.{extension}"
            call_command("export_csv", kind, "--output", str(output), stderr=StringIO())
            made[f"{kind}.{extension}"] = output.read_bytes()
        with zipfile.ZipFile(io.BytesIO(made.pop(f"{kind}.xlsx"))) as workbook:
            for part in workbook.namelist():
                if part != "docProps/core.xml":
                    made[f"{kind}.xlsx/{part}"] = workbook.read(part)
        for language in ("en", "es") if kind in RECORDS else ():
            for fmt in ("csv", "json"):
                response = client.get(url(f"{kind}:download", language, format=fmt))
                made[f"{language} {kind}.{fmt}"] = b"".join(response.streaming_content)
    return made


def vocabularies():
    return {
        vocabulary.holds: list(vocabulary.model.objects.order_by(vocabulary.key).values_list(*vocabulary.columns))
        for vocabulary in VOCABULARIES
    }


def old_addresses():
    return sorted(PreviousSlug.objects.values_list("content_type__model", "slug"))


def empty_migrated_database():
    """What `migrate` leaves in a new database: no record, no old address, and the
    vocabularies the data migrations install."""
    empty_database()
    for module in VOCABULARY_MIGRATIONS:
        import_module(module).install(apps, None)


def empty_database():
    """A database emptied with `flush`: not even the vocabularies."""
    Event.objects.all().delete()
    Agreement.objects.all().delete()
    while Directorate.objects.exists():  # a unit's parent is protected: the units below it go first
        Directorate.objects.filter(children=None).delete()
    for model in (PreviousSlug, *(vocabulary.model for vocabulary in VOCABULARIES)):
        model.objects.all().delete()


@pytest.fixture
def backup(content, tmp_path):
    path = tmp_path / "backup.zip"
    run("backup", str(path))
    return path


def files_of(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path, files):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def changed(backup, tmp_path, change):
    """A copy of the backup with its files (name → bytes) changed by `change`."""
    files = files_of(backup)
    change(files)
    return write_zip(tmp_path / "changed.zip", files)


def manifest_of(files):
    return json.loads(files["manifest.json"])


def with_manifest(contents, **values):
    contents["manifest.json"] = json.dumps({**manifest_of(contents), **values}).encode()


# What a backup holds


def test_a_backup_holds_a_file_per_vocabulary_and_kind_as_export_csv_writes_them_and_a_manifest(backup, tmp_path):
    files = files_of(backup)
    assert list(files) == [
        "countries.csv",
        "agreement-statuses.csv",
        "agreement-types.csv",
        "event-types.csv",
        "topics.csv",
        "organisations.csv",
        "directorates.csv",
        "agreements.csv",
        "steps.csv",
        "participants.csv",
        "events.csv",
        "previous-slugs.csv",
        "manifest.json",
    ]
    for kind in KINDS:
        output = tmp_path / f"{kind}.csv"
        call_command("export_csv", kind, "--output", str(output), stderr=StringIO())
        assert files[f"{kind}.csv"] == output.read_bytes()
    manifest = manifest_of(files)
    assert (manifest["format"], manifest["version"]) == ("foreignpolicy-backup", 1)
    assert datetime.fromisoformat(manifest["created_at"]) > timezone.now() - timedelta(minutes=5)
    counts = {entry["name"]: entry["rows"] for entry in manifest["files"]}
    assert counts["agreements.csv"] == Agreement.objects.count()
    assert counts["topics.csv"] == Topic.objects.count() == 12
    assert counts["event-types.csv"] == 8
    assert files["previous-slugs.csv"] == b"\xef\xbb\xbfkind,previous_slug,slug\r\nagreements,old-name,new-name\r\n"
    assert "ocean-affairs,Ocean affairs,Asuntos oceánicos,3\r\n" in files["topics.csv"].decode()
    assert "CL,CHL,Chile,Chile,Chili; República de Chile\r\n" in files["countries.csv"].decode()


def test_the_command_says_what_each_file_holds_and_only_its_owner_may_read_it(content, tmp_path):
    path = tmp_path / "backup.zip"
    out, _err = run("backup", str(path))
    lines = out.splitlines()
    assert lines[0] == "countries.csv: 249 rows"
    assert "previous-slugs.csv: 1 row" in lines
    assert lines[-1] == f"Backup written to {path}."
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_every_vocabulary_a_record_names_is_in_a_backup():
    """A vocabulary added later must be backed up too, or its records would not restore."""
    named = {
        field.related_model
        for kind in (Directorate, Agreement, Event)
        for field in kind._meta.get_fields()
        if field.is_relation and not field.auto_created and field not in record_links(kind)
    }
    named -= {apps.get_model("auth.User")}  # who changed and published: not content (README, "Backup and restore")
    assert named == {vocabulary.model for vocabulary in VOCABULARIES}


# Restoring


@pytest.mark.parametrize("emptied", [empty_migrated_database, empty_database], ids=["migrated", "flushed"])
def test_after_a_restore_into_an_empty_database_every_export_is_byte_for_byte_what_it_was(
    backup, client, tmp_path, emptied
):
    before, vocabularies_before, addresses_before = exports(client, tmp_path), vocabularies(), old_addresses()
    emptied()
    assert vocabularies() != vocabularies_before
    assert exports(client, tmp_path) != before
    out, _err = run("restore", str(backup))
    assert exports(client, tmp_path) == before
    assert vocabularies() == vocabularies_before
    assert old_addresses() == addresses_before
    assert out.splitlines() == [
        "countries.csv: 249 entries",
        "agreement-statuses.csv: 4 entries",
        "agreement-types.csv: 12 entries",
        "event-types.csv: 8 entries",
        "topics.csv: 12 entries",
        "organisations.csv: 20 entries",
        "directorates.csv: 15 created, 0 updated, 0 unchanged; 1 of them is a draft.",
        "agreements.csv: 51 created, 0 updated, 0 unchanged; 1 of them is a draft.",
        "agreements.csv, again for relations: 0 created, 3 updated, 48 unchanged; 1 of them is a draft.",
        "steps.csv: 0 created, 4 updated, 0 unchanged; 0 of them are drafts.",
        "participants.csv: 0 created, 8 updated, 0 unchanged; 0 of them are drafts.",
        "events.csv: 45 created, 0 updated, 0 unchanged; 0 of them are drafts.",
        "previous-slugs.csv: 1 old address",
        f"Restored the backup made on {manifest_of(files_of(backup))['created_at']} from {backup}.",
    ]


def test_a_restored_site_answers_as_before_old_addresses_and_staff_added_entries_included(backup, client):
    empty_migrated_database()
    run("restore", str(backup))
    response = client.get(url("agreements:detail", slug="old-name"))
    assert (response.status_code, response["Location"]) == (301, url("agreements:detail", slug="new-name"))
    page = client.get(url("topics:detail", "es", slug="ocean-affairs"))
    assert page.status_code == 200
    assert "Asuntos oceánicos" in page.content.decode()
    assert "Cumbre del océano" in page.content.decode()
    assert client.get(url("agreements:detail", slug="ocean-pact")).status_code == 404  # scheduled, not yet public


def test_restored_records_come_through_the_import_and_are_in_its_history(backup):
    empty_migrated_database()
    ImportRecord.objects.all().delete()
    run("restore", str(backup))
    assert sorted(ImportRecord.objects.values_list("file_name", "created", "updated")) == [
        ("backup.zip: agreements.csv", Agreement.objects.count(), 0),
        ("backup.zip: agreements.csv, again for relations", 0, 3),
        ("backup.zip: directorates.csv", Directorate.objects.count(), 0),
        ("backup.zip: events.csv", Event.objects.count(), 0),
        ("backup.zip: participants.csv", 0, 8),
        ("backup.zip: steps.csv", 0, 4),
    ]
    versions = Version.objects.get_for_object(Agreement.objects.get(slug="ocean-pact")).order_by("pk")
    assert [
        (version.revision.user.username, version.revision.source.import_record.file_name) for version in versions
    ] == [
        ("import", "backup.zip: agreements.csv"),
        ("import", "backup.zip: steps.csv"),
        ("import", "backup.zip: participants.csv"),
    ]


def test_a_large_kind_is_cut_into_files_that_each_fit_an_import(tmp_path, client, monkeypatch):
    monkeypatch.setattr(layout, "ROWS_PER_FILE", 3)
    parent = DirectorateFactory(slug="z-parent")
    DirectorateFactory(slug="a-child", parent=parent)
    agreements = AgreementFactory.create_batch(7, directorate=parent)
    EventFactory().agreements.add(*agreements)
    before = exports(client, tmp_path)
    path = tmp_path / "backup.zip"
    run("backup", str(path))
    files = files_of(path)
    listed = {entry["name"]: entry["rows"] for entry in manifest_of(files)["files"] if entry["holds"] == "agreements"}
    assert listed == {"agreements.csv": 3, "agreements-2.csv": 3, "agreements-3.csv": 1}
    empty_migrated_database()
    run("restore", str(path))
    assert exports(client, tmp_path) == before


def test_relations_to_agreements_of_a_later_file_are_restored(tmp_path, client, monkeypatch):
    monkeypatch.setattr(layout, "ROWS_PER_FILE", 2)
    first, *_middle, last = AgreementFactory.create_batch(5)
    first.replaces.add(last)
    last.amends.add(first)
    before = exports(client, tmp_path)
    path = tmp_path / "backup.zip"
    run("backup", str(path))
    assert [entry["rows"] for entry in manifest_of(files_of(path))["files"] if entry["holds"] == "agreements"] == [
        2,
        2,
        1,
    ]
    empty_migrated_database()
    run("restore", str(path))
    assert exports(client, tmp_path) == before
    assert Agreement.objects.get(slug=last.slug).replaced_by.get().slug == first.slug


def test_a_backup_made_before_the_references_and_relations_restores(tmp_path):
    AgreementFactory(slug="old")
    path = tmp_path / "backup.zip"
    run("backup", str(path))
    older = tmp_path / "older.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(older, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "agreements.csv":
                rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
                kept = [position for position, name in enumerate(rows[0]) if name not in layout.COLUMNS_ADDED_LATER]
                text = io.StringIO()
                csv.writer(text, lineterminator="\r\n").writerows([[row[p] for p in kept] for row in rows])
                data = ("\ufeff" + text.getvalue()).encode()
            target.writestr(info, data)
    empty_migrated_database()
    run("restore", str(older))
    assert Agreement.objects.get().slug == "old"


def test_no_file_of_records_holds_more_rows_than_an_import_reads(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 2
    AgreementFactory.create_batch(5)
    path = tmp_path / "backup.zip"
    run("backup", str(path))
    listed = {
        entry["name"]: entry["rows"] for entry in manifest_of(files_of(path))["files"] if entry["holds"] == "agreements"
    }
    assert listed == {"agreements.csv": 2, "agreements-2.csv": 2, "agreements-3.csv": 1}


def test_a_file_of_records_ends_where_its_size_reaches_half_of_what_a_restore_unpacks(
    tmp_path, client, settings, monkeypatch
):
    settings.IMPORT_MAX_XLSX_UNPACKED_BYTES = 20_000
    monkeypatch.setattr(tabular, "ROWS_PER_PIECE", 1)  # the writer hands on each row at once
    AgreementFactory.create_batch(120, summary_en=" ".join(["A summary of some length."] * 3))
    before = exports(client, tmp_path)
    path = tmp_path / "backup.zip"
    run("backup", str(path))
    sizes = [len(data) for name, data in files_of(path).items() if name.startswith("agreements")]
    # Each full file ends with the row that takes it past 10,000 bytes (the rows are some 190 bytes each).
    assert len(sizes) == 3 and all(10_000 <= size < 10_200 for size in sizes[:-1]) and sizes[-1] < 10_000, sizes
    empty_migrated_database()
    run("restore", str(path))
    assert exports(client, tmp_path) == before


def test_directorates_stay_in_one_file_so_that_every_parent_is_in_the_file_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(layout, "ROWS_PER_FILE", 2)
    DirectorateFactory.create_batch(5)
    path = tmp_path / "backup.zip"
    run("backup", str(path))
    listed = [entry for entry in manifest_of(files_of(path))["files"] if entry["holds"] == "directorates"]
    assert listed == [{"name": "directorates.csv", "holds": "directorates", "rows": 5}]


def test_a_kind_without_records_has_a_file_of_its_header_alone_and_restores(tmp_path, client):
    AgreementFactory()
    path = tmp_path / "backup.zip"
    run("backup", str(path))
    files = files_of(path)
    assert files["events.csv"].startswith(b"\xef\xbb\xbfslug,title_en,") and files["events.csv"].count(b"\r\n") == 1
    before = exports(client, tmp_path)
    empty_migrated_database()
    out, _err = run("restore", str(path))
    assert "events.csv: no records" in out.splitlines()
    assert exports(client, tmp_path) == before


def test_a_backup_reads_in_a_number_of_queries_that_does_not_grow_with_the_records(db):
    from foreignpolicy.backups.writing import write_backup

    def queries():
        with CaptureQueriesContext(connection) as captured:
            write_backup(io.BytesIO())
        return len(captured)

    def records(count):
        unit = DirectorateFactory(parent=DirectorateFactory())
        for agreement in AgreementFactory.create_batch(count, directorate=unit):
            agreement.topics.add(Topic.objects.get(slug="trade"))
            agreement.countries.add(Country.objects.get(code="CL"))
            event = EventFactory(country_id="CL")
            event.agreements.add(agreement)
            event.directorates.add(unit)
            event.organisations.add(Organisation.objects.get(slug="eu"))

    records(3)
    queries()  # the record kinds' content types, read once and kept
    few = queries()
    records(300)
    assert queries() == few


# Writing the file


def test_a_backup_never_replaces_a_file_unless_forced(content, tmp_path):
    path = tmp_path / "backup.zip"
    path.write_bytes(b"yesterday's backup")
    _err, reason = refusal("backup", str(path))
    assert reason == f"{path} already exists; give another name, or --force to replace it."
    assert path.read_bytes() == b"yesterday's backup"
    run("backup", str(path), "--force")
    assert manifest_of(files_of(path))["format"] == "foreignpolicy-backup"
    assert os.listdir(tmp_path) == ["backup.zip"]


def test_a_backup_that_fails_half_way_leaves_no_file_behind(content, tmp_path, monkeypatch):
    from foreignpolicy.backups import writing

    def failing(archive, files, kind):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writing, "write_records", failing)
    _err, reason = refusal("backup", str(tmp_path / "backup.zip"))
    assert reason == f"Cannot write {tmp_path / 'backup.zip'}: No space left on device."
    assert os.listdir(tmp_path) == []


def test_a_backup_into_a_folder_that_does_not_exist_is_refused_with_a_message(tmp_path):
    path = tmp_path / "missing" / "backup.zip"
    _err, reason = refusal("backup", str(path))
    assert reason == f"Cannot write {path}: No such file or directory."


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's transactions read one state anyway")
def test_a_backup_reads_the_database_as_of_one_moment_while_staff_go_on_editing(
    transactional_db, django_db_serialized_rollback, tmp_path, monkeypatch
):
    from foreignpolicy.backups import writing

    agreement = AgreementFactory(slug="edited-meanwhile")

    def a_publisher_adds_a_topic_to_it():
        other = connection.copy()  # another connection, committing as it goes
        with other.cursor() as cursor:
            cursor.execute(
                "INSERT INTO foreignpolicy_topic (slug, name_en, name_es, position) "
                "VALUES ('late', 'Late', 'Tarde', 0) RETURNING id"
            )
            (topic,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO agreements_agreement_topics (agreement_id, topic_id) VALUES (%s, %s)",
                [agreement.pk, topic],
            )
        other.close()

    then_meanwhile(monkeypatch, writing, "write_vocabularies", a_publisher_adds_a_topic_to_it)
    path = tmp_path / "backup.zip"
    run("backup", str(path))
    assert agreement.topics.get().slug == "late"
    files = files_of(path)
    assert b"late" not in files["topics.csv"] and b"late" not in files["agreements.csv"]


# Refused restores: a message naming the file, row and column, and nothing written


def replaced(name, old, new):
    def change(files):
        text = files[name].decode("utf-8-sig")
        assert old in text
        files[name] = tabular.UTF8_BOM + text.replace(old, new, 1).encode()

    return change


def without(name):
    def change(files):
        del files[name]

    return change


def renamed_file(old, new):
    def change(files):
        files[new] = files.pop(old)
        listed = [{**entry, "name": new} if entry["name"] == old else entry for entry in manifest_of(files)["files"]]
        with_manifest(files, files=listed)

    return change


BROKEN_BACKUPS = {
    "a bad entry of a vocabulary": (
        replaced("topics.csv", "ocean-affairs,", "ocean affairs!,"),
        "topics.csv: Row 10, column “slug”: Enter a valid “slug” consisting of letters, numbers, underscores or "
        "hyphens.",
    ),
    "an entry twice": (
        replaced("event-types.csv", "bilateral-meeting,", "agreement-signing,"),
        "event-types.csv: Row 4, column “slug”: “agreement-signing” is also on row 2; each entry may appear once.",
    ),
    "an organisation whose acronym is a country code": (
        replaced("organisations.csv", ",PIF,", ",PE,"),
        "organisations.csv: Row 15, column “acronym_en”: PE is an ISO country code; choose another acronym.",
    ),
    "a column renamed": (
        replaced("events.csv", ",published,", ",publicado,"),
        "events.csv: Column “publicado”: not a column of this file.",
    ),
    "a column missing": (
        replaced("events.csv", ",published,", ",,"),
        "events.csv: Column “published”: missing: every file of a backup has all the columns of what it holds.",
    ),
    "an old address of no record": (
        replaced("previous-slugs.csv", ",new-name", ",no-such-name"),
        "previous-slugs.csv: Row 2, column “slug”: No record of this kind has the slug “no-such-name”.",
    ),
    "an old address that is a record's slug now": (
        replaced("previous-slugs.csv", ",old-name,", ",draft-pact,"),
        "previous-slugs.csv: Row 2, column “previous_slug”: “draft-pact” is the slug of a record now, so it cannot "
        "lead to another.",
    ),
    "rows the manifest does not count": (
        replaced(
            "events.csv", "\r\nocean-summit,", "\r\nocean-summit-2,Copy,,2025,,summit,,,,,,,,,,no,\r\nocean-summit,"
        ),
        "events.csv: it holds 46 rows, where manifest.json says 45: the backup was changed or is incomplete.",
    ),
    "a file missing": (
        without("agreements.csv"),
        "The archive lacks “agreements.csv”, which manifest.json lists: the backup is incomplete.",
    ),
    "no manifest": (
        without("manifest.json"),
        "The archive holds no manifest.json: it is not a backup made by manage.py backup.",
    ),
    "another version of the format": (
        lambda files: with_manifest(files, version=2, commit="0123abc"),
        "manifest.json gives version 2 of the backup format; this release restores version 1 only. Restore it with "
        "the release that made it (commit 0123abc).",
    ),
    "a manifest that is not JSON": (
        lambda files: files.update({"manifest.json": b"{not json"}),
        "manifest.json is not valid JSON.",
    ),
    "a manifest of another program": (
        lambda files: with_manifest(files, format="something-else"),
        "manifest.json does not describe a backup of this site.",
    ),
    "a manifest without its list": (
        lambda files: with_manifest(files, files=None),
        "manifest.json is damaged: its date or its list of files cannot be read.",
    ),
    "a manifest without a vocabulary": (
        lambda files: (
            files.pop("topics.csv"),
            with_manifest(files, files=[e for e in manifest_of(files)["files"] if e["holds"] != "topics"]),
        ),
        "manifest.json lists no file of topics: the backup is incomplete.",
    ),
    "a file the manifest does not list": (
        lambda files: files.update({"../../etc/cron.d/evil.csv": b"x"}),
        "The archive holds “../../etc/cron.d/evil.csv”, which manifest.json does not list: a backup holds only the "
        "files it lists.",
    ),
    "a file under a path": (
        renamed_file("topics.csv", "/tmp/topics.csv"),
        "manifest.json names the files of topics “/tmp/topics.csv”, where a backup names them “topics.csv”.",
    ),
    "a file that says it holds nothing": (
        lambda files: with_manifest(
            files,
            files=[{**e, "rows": 0} if e["name"] == "events.csv" else e for e in manifest_of(files)["files"]],
        ),
        "events.csv: manifest.json says that it holds no rows, but it holds more than its header.",
    ),
}


def nothing_written(vocabularies_before):
    assert not any(model.objects.exists() for model in (Directorate, Agreement, Event, PreviousSlug))
    assert vocabularies() == vocabularies_before


def refused_restore(path):
    """Restore into an empty, migrated database: the messages, after checking that the
    command said nothing was written, and that it was so."""
    empty_migrated_database()
    untouched = vocabularies()
    messages, reason = refusal("restore", str(path))
    assert reason == f"{path} was not restored; nothing was written."
    nothing_written(untouched)
    return messages


@pytest.mark.parametrize("case", list(BROKEN_BACKUPS))
def test_a_broken_backup_is_refused_naming_where_and_nothing_is_written(backup, tmp_path, case):
    change, expected = BROKEN_BACKUPS[case]
    assert expected in refused_restore(changed(backup, tmp_path, change))


def test_a_row_the_import_refuses_stops_the_whole_restore_vocabularies_and_earlier_files_included(backup, tmp_path):
    path = changed(backup, tmp_path, replaced("agreements.csv", ",'=1+1 is", ",=1+1 is"))
    lines = files_of(path)["agreements.csv"].decode("utf-8-sig").split("\r\n")
    row = 1 + next(number for number, line in enumerate(lines) if line.startswith("ocean-pact,"))
    assert refused_restore(path) == [
        f"agreements.csv: Row {row}, column “summary_en”: “=1+1 is not a formula here” starts like a spreadsheet "
        "formula. If it is meant as text, begin the cell with an apostrophe (')."
    ]


def test_a_file_that_is_not_a_zip_archive_is_refused(content, tmp_path):
    path = tmp_path / "agreements.csv"
    path.write_bytes(b"slug,title_en\r\nx,X\r\n")
    assert refused_restore(path) == [f"{path} is not a backup: it is not a zip archive, or it is damaged."]


def test_a_file_that_cannot_be_read_is_refused(tmp_path):
    path = tmp_path / "nowhere.zip"
    assert refused_restore(path) == [f"Cannot read {path}: No such file or directory."]


def test_a_zip_bomb_is_refused_before_any_file_is_read(backup, tmp_path):
    # 20 MB of zeros that pack to some 20 KB, as the last of the files.
    path = changed(backup, tmp_path, lambda files: files.update({"previous-slugs.csv": bytes(20 * 1024 * 1024)}))
    assert refused_restore(path) == [
        "“previous-slugs.csv” unpacks to more than 100 times its packed size, which no CSV file does: it is made to "
        "exhaust the server (a “zip bomb”). Nothing was read."
    ]


def test_a_file_that_unpacks_to_more_than_the_limit_is_refused(backup, tmp_path, settings):
    settings.IMPORT_MAX_XLSX_UNPACKED_BYTES = 40_000
    size = len(files_of(backup)["directorates.csv"])
    assert size > 40_000
    assert refused_restore(backup) == [
        f"“directorates.csv” unpacks to {filesizeformat(size)}, more than the 39.1\xa0KB one file of a backup may hold."
    ]


def test_a_file_that_unpacks_to_more_than_it_declares_is_refused_as_damaged(backup, tmp_path):
    data = bytearray((tmp_path / "backup.zip").read_bytes())
    with zipfile.ZipFile(backup) as archive:
        info = archive.getinfo("topics.csv")
    declared = (100).to_bytes(4, "little")
    data[info.header_offset + 22 : info.header_offset + 26] = declared
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(b"topics.csv"))
    data[entry + 24 : entry + 28] = declared
    path = tmp_path / "lying.zip"
    path.write_bytes(bytes(data))
    assert refused_restore(path) == ["“topics.csv” is damaged: its bytes are not those the archive lists for it."]


def test_a_file_packed_otherwise_than_backup_packs_is_refused(backup, tmp_path):
    files = files_of(backup)
    path = tmp_path / "bzip2.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as archive:
        for name, data in files.items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED if name == "manifest.json" else None)
    assert "“countries.csv” is encrypted, or packed in a way manage.py backup never packs." in refused_restore(path)


def test_an_archive_of_thousands_of_files_is_refused_before_they_are_listed(tmp_path):
    path = write_zip(tmp_path / "many.zip", {f"{number}.csv": b"" for number in range(1_500)})
    assert refused_restore(path) == [
        f"{path} lists more than 1000 files, far more than a backup holds. Nothing was read."
    ]


def test_a_restore_into_a_database_that_holds_records_is_refused(backup):
    untouched = vocabularies()
    messages, reason = refusal("restore", str(backup))
    assert messages == [
        "The database already holds directorates, agreements, events, previous slugs. A backup is restored into an "
        "empty database only: create one, migrate it, and restore into it (README, “Backup and restore”)."
    ]
    assert vocabularies() == untouched


def test_a_restore_into_a_database_not_fully_migrated_is_refused(backup):
    empty_migrated_database()
    MigrationRecorder.Migration.objects.filter(app="events", name="0008_withdrawal_notice").delete()
    messages, _reason = refusal("restore", str(backup))
    assert messages == ["The database is not fully migrated: run “python manage.py migrate” first."]
    assert not Directorate.objects.exists()


def test_a_write_the_database_refuses_is_a_message_and_nothing_is_written(backup, monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(PreviousSlug.objects, "bulk_create", refuse)
    assert refused_restore(backup) == [
        "The database refused the restore, and nothing was written: could not extend file: No space left on device"
    ]
