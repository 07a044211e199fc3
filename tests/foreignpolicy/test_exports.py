"""Exports and downloads: byte for byte what the format says, streamed, in a number of
queries that does not grow with the rows; an export job's file kept and sent back as written.

The golden files in tests/fixtures/exports/ were written by the export as it was before
it streamed (model instances, a tablib Dataset, write_csv). To write them again, after a
deliberate change of the format: FP_WRITE_GOLDEN=1 pytest tests/foreignpolicy/test_exports.py
"""

import csv
import gzip
import io
import json
import os
import random
from datetime import date
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from agreements.models import Agreement, AgreementStatus
from foreignpolicy import importing, jobs
from foreignpolicy.models import Country, FileJob, Organisation, Topic
from foreignpolicy.partial_dates import Precision
from foreignpolicy.registry import resource_for
from foreignpolicy.tabular import csv_pieces, neutralise, read_csv
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.helpers import settled_page_cache, url

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
KINDS = ("directorates", "agreements", "events")
# Public downloads, with and without filters.
DOWNLOADS = {
    "directorates": [{}],
    "agreements": [{}, {"party": "CL"}, {"status": "in_force", "ordering": "title"}],
    "events": [{}, {"party": "CL"}],
}


def golden(name, data):
    path = GOLDEN / name
    if os.environ.get("FP_WRITE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path.read_bytes()


@pytest.fixture
def world():
    """The demo, and records with every kind of value: drafts linked from published
    records and the other way round, dates at every precision, cells a spreadsheet
    would run, quotes, commas and line breaks, long lists of parties."""
    call_command("load_demo", stdout=io.StringIO())
    for factory in (DirectorateFactory, AgreementFactory, EventFactory):
        factory.reset_sequence()  # the same names whichever tests ran before
    topic = Topic.objects.get
    draft_unit = DirectorateFactory(
        slug="zz-draft-unit", acronym="ZZD", name_en="=Draft unit", is_published=False, position=3
    )
    unit = DirectorateFactory(
        slug="zz-unit",
        acronym="ZZU",
        name_en='Unit, with "quotes"',
        name_es="Unidad\nde dos líneas",
        parent=draft_unit,
        summary_en="+1 more",
        body_en="- a list item\n- another",
        body_es="@mention",
        position=7,
    )
    unit.topics.add(topic(slug="trade"), topic(slug="health"))
    DirectorateFactory(slug="zz-child", parent=unit, summary_es="'already quoted", position=7)
    organisations = [
        Organisation.objects.get(slug=slug) for slug in ("pacific-alliance", "non-aligned-movement", "eu", "mercosur")
    ]
    countries = [Country.objects.get(code=code) for code in ("CL", "BR", "AR", "EC", "CO")]
    draft_treaty = AgreementFactory(
        slug="zz-draft-treaty",
        title_en="\tTabbed draft",
        directorate=unit,
        is_published=False,
        signed_on=date(2001, 1, 1),
        signed_on_precision=Precision.YEAR,
    )
    draft_treaty.countries.add(countries[0])
    treaty = AgreementFactory(
        slug="zz-treaty",
        title_en="-5 degrees",
        title_es="Tratado “con” comillas; y punto y coma",
        short_title="ZZ-1",
        directorate=draft_unit,
        signed_on=date(2009, 5, 1),
        signed_on_precision=Precision.MONTH,
        in_force_on=date(2010, 3, 4),
        ended_on=date(2020, 1, 1),
        ended_on_precision=Precision.YEAR,
        summary_en='=HYPERLINK("http://example.org")',
        summary_es="\r\nstarts with a line break",
        source_url="https://example.org/a?b=1,2",
        status=AgreementStatus.objects.get(code="terminated"),
    )
    treaty.countries.add(*countries)
    treaty.organisations.add(*organisations)
    treaty.topics.add(topic(slug="trade"), topic(slug="health"), topic(slug="security-and-defence"))
    AgreementFactory(slug="zz-undated", signed_on=None, directorate=unit, title_es="Sin fecha")
    meeting = EventFactory(
        slug="zz-meeting",
        title_en="@everyone",
        date=date(2024, 2, 1),
        date_precision=Precision.MONTH,
        end_date=date(2024, 12, 31),
        location="Lima, Perú",
        country=countries[0],
    )
    meeting.countries.add(*countries[:3])
    meeting.organisations.add(organisations[0])
    meeting.directorates.add(unit, draft_unit)
    meeting.agreements.add(treaty, draft_treaty, Agreement.objects.get(slug="peru-chile-fta"))
    meeting.topics.add(topic(slug="trade"))
    draft_event = EventFactory(slug="zz-draft-event", date=date(2023, 1, 1), date_precision=Precision.YEAR)
    draft_event.is_published = False
    draft_event.save()
    draft_event.agreements.add(treaty)
    return {"unit": unit, "treaty": treaty, "meeting": meeting}


def staff_export(kind, tmp_path):
    output = tmp_path / f"{kind}.csv"
    call_command("export_csv", kind, "--output", str(output), stderr=io.StringIO())
    return output.read_bytes()


def download(client, kind, fmt, query):
    response = client.get(url(f"{kind}:download", format=fmt), query)
    assert response.status_code == 200
    return response


def download_name(kind, fmt, number):
    return f"{kind}-public-{number}.{fmt}"


@pytest.mark.parametrize("kind", KINDS)
def test_the_staff_export_is_byte_for_byte_the_golden_one(world, kind, tmp_path):
    assert staff_export(kind, tmp_path) == golden(f"{kind}.csv", staff_export(kind, tmp_path))


@pytest.mark.parametrize("kind", KINDS)
def test_standard_output_gets_the_same_bytes(world, kind, tmp_path, capfdbinary):
    out = io.StringIO()
    call_command("export_csv", kind, stdout=out)
    assert out.getvalue().encode() == staff_export(kind, tmp_path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_public_downloads_are_byte_for_byte_the_golden_ones(client, world, kind, fmt):
    for number, query in enumerate(DOWNLOADS[kind]):
        data = download(client, kind, fmt, query).getvalue()
        assert data == golden(download_name(kind, fmt, number), data), query


def test_the_admin_export_is_the_staff_export(admin_client, world, tmp_path):
    response = admin_client.post(reverse_admin("export"), {"format": 0, "resource": 0})
    assert response.getvalue() == staff_export("agreements", tmp_path)


def test_the_admin_excel_export_holds_the_same_cells(admin_client, world, tmp_path):
    response = admin_client.post(reverse_admin("export"), {"format": 1, "resource": 0})
    sheet = load_workbook(io.BytesIO(response.getvalue()), read_only=True).worksheets[0]
    cells = [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
    expected = read_csv(staff_export("agreements", tmp_path))
    # The CSV reader restores neutralised cells; the sheet keeps them as written.
    assert cells[0] == list(expected.headers)
    assert len(cells) == len(expected) + 1
    treaty = dict(zip(cells[0], cells[[row[0] for row in cells].index("zz-treaty")], strict=True))
    assert treaty["summary_en"] == '\'=HYPERLINK("http://example.org")'
    assert treaty["parties"].startswith("AR;BR;CL;CO;EC;")


def reverse_admin(name, *args):
    from django.urls import reverse

    return reverse(f"admin:agreements_agreement_{name}", args=args)


def test_public_downloads_leave_out_links_to_drafts_and_drafts_themselves(client, world):
    def rows(kind):
        return {row["slug"]: row for row in json.loads(download(client, kind, "json", {}).getvalue())}

    directorates, agreements, events = rows("directorates"), rows("agreements"), rows("events")
    assert "zz-draft-unit" not in directorates and directorates["zz-unit"]["parent"] is None
    assert directorates["zz-child"]["parent"] == "zz-unit"
    assert "zz-draft-treaty" not in agreements and agreements["zz-treaty"]["directorate"] is None
    assert agreements["zz-undated"]["directorate"] == "zz-unit"
    assert events["zz-meeting"]["directorates"] == ["zz-unit"]
    assert events["zz-meeting"]["agreements"] == ["peru-chile-fta", "zz-treaty"]
    assert "zz-draft-event" not in events


def test_staff_exports_keep_every_link(world, tmp_path):
    def rows(kind):
        return {row["slug"]: row for row in read_csv(staff_export(kind, tmp_path)).dict}

    assert rows("directorates")["zz-unit"]["parent"] == "zz-draft-unit"
    assert rows("agreements")["zz-treaty"]["directorate"] == "zz-draft-unit"
    meeting = rows("events")["zz-meeting"]
    assert meeting["directorates"] == "zz-draft-unit;zz-unit"
    assert meeting["agreements"] == "peru-chile-fta;zz-draft-treaty;zz-treaty"
    assert meeting["date"] == "2024-02" and meeting["country"] == "CL"


def test_a_download_is_streamed_and_sends_its_header_before_reading_the_records(client, world):
    for fmt, first in (("csv", b"\xef\xbb\xbfslug,title_en,title_es,"), ("json", b"[")):
        response = download(client, "agreements", fmt, {"party": "CL"})
        assert isinstance(response, StreamingHttpResponse)
        pieces = iter(response.streaming_content)
        with CaptureQueriesContext(connection) as captured:
            piece = next(pieces)
        assert piece.startswith(first) and len(captured) == 0
        assert b"peru-chile-fta" in b"".join(pieces)


# The vocabularies each kind's columns write (events write countries in two columns): each
# read once per export, in one query.
VOCABULARIES = {"directorates": 1, "agreements": 5, "events": 5}


def records(kind, count):
    """Records with a value in every column, every relation and every link."""
    trade, chile = Topic.objects.get(slug="trade"), Country.objects.get(code="CL")
    eu = Organisation.objects.get(slug="eu")
    parent = DirectorateFactory()
    for _ in range(count):
        if kind == "directorates":
            DirectorateFactory(parent=parent).topics.add(trade)
        elif kind == "agreements":
            agreement = AgreementFactory(directorate=parent, in_force_on=date(2007, 1, 1))
            agreement.countries.add(chile)
            agreement.organisations.add(eu)
            agreement.topics.add(trade)
        else:
            event = EventFactory(country=chile, end_date=date(2025, 12, 12))
            event.countries.add(chile)
            event.organisations.add(eu)
            event.topics.add(trade)
            event.directorates.add(parent)
            event.agreements.add(AgreementFactory())


def queries(call):
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


@pytest.mark.parametrize("kind", KINDS)
def test_an_export_reads_its_records_with_their_links_in_one_query_whatever_their_number(kind, monkeypatch):
    monkeypatch.setattr(importing, "EXPORT_CHUNK", 100)
    records(kind, 3)
    assert queries(lambda: list(resource_for(kind).export_rows())) == 1 + VOCABULARIES[kind]
    records(kind, 297)
    total = resource_for(kind).get_queryset().count()
    chunks = -(-total // 100)
    assert queries(lambda: list(resource_for(kind).export_rows())) == 1 + VOCABULARIES[kind]
    # Told after each chunk, with the total counted first.
    told = []
    assert queries(lambda: list(resource_for(kind).export_rows(progress=lambda *done: told.append(done)))) == (
        2 + VOCABULARIES[kind]
    )
    assert told == [(min(total, 100 * n), total) for n in range(1, chunks + 1)]


@pytest.mark.parametrize("kind", KINDS)
def test_a_download_runs_as_many_queries_for_3_records_as_for_300(client, kind, monkeypatch):
    records(kind, 3)
    settled_page_cache()
    few = queries(lambda: download(client, kind, "csv", {}).getvalue())
    records(kind, 297)
    assert queries(lambda: download(client, kind, "csv", {}).getvalue()) == few
    monkeypatch.setattr(importing, "EXPORT_CHUNK", 100)
    assert queries(lambda: download(client, kind, "json", {}).getvalue()) == few


def test_each_list_of_links_is_written_as_render_writes_the_records_own_entries(world):
    """The export lists a record's links in its query and reads the vocabularies once;
    each cell is still what the widget writes of `record.relation.all()`, entries of the
    same export key (two organisations of one acronym) in the vocabulary's order."""
    treaty = world["treaty"]
    for name in ("Zeta", "Alpha"):
        treaty.organisations.add(Organisation.objects.create(slug=f"zz-{name.lower()}", name_en=name, acronym_en="ZZ"))
    resource = resource_for("agreements")
    columns = {column.column_name: column for column in resource.get_export_fields()}
    headers = resource.get_export_headers()
    for agreement, row in zip(Agreement.objects.for_export(), resource.export_rows(), strict=True):
        cells = dict(zip(headers, row, strict=True))
        parties = [*agreement.countries.all(), *agreement.organisations.all()]
        assert cells["parties"] == columns["parties"].widget.render(parties)
        assert cells["topics"] == columns["topics"].widget.render(list(agreement.topics.all()))
    cells = dict(zip(headers, next(row for row in resource.export_rows() if row[0] == "zz-treaty"), strict=True))
    assert cells["parties"].endswith(";ZZ;ZZ")


@pytest.mark.parametrize("fmt", [0, 1])
def test_an_export_job_keeps_its_file_compressed_and_sends_it_back_as_written(
    admin_client, world, settings, monkeypatch, tmp_path, django_capture_on_commit_callbacks, fmt
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    monkeypatch.setattr(jobs, "FILE_PIECE", 1000)  # pieces, and their seams, at every size
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse_admin("export"), {"format": fmt, "resource": 0})
    job = FileJob.objects.get(action=FileJob.Action.EXPORT)
    response = admin_client.get(reverse_admin("job_download", job.pk))
    assert isinstance(response, StreamingHttpResponse)
    data = response.getvalue()
    assert int(response["Content-Length"]) == len(data) == job.size
    assert len(bytes(job.data)) < job.size and gzip.decompress(bytes(job.data)) == data
    if fmt == 0:
        assert data == staff_export("agreements", tmp_path)
    else:
        sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        assert sum(1 for _row in sheet.iter_rows(values_only=True)) == Agreement.objects.count() + 1


def test_an_export_job_kept_whole_before_compression_is_sent_as_it_is(admin_client, admin_user):
    job = FileJob.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(Agreement),
        action=FileJob.Action.EXPORT,
        state=FileJob.State.DONE,
        file_name="agreements.csv",
        data=b"slug\r\nold\r\n",
        size=11,
        parameters={"content_type": "text/csv; charset=utf-8"},
    )
    assert admin_client.get(reverse_admin("job_download", job.pk)).getvalue() == b"slug\r\nold\r\n"


def test_the_csv_writer_writes_every_row_as_the_csv_module_does():
    """csv_pieces writes rows of text itself, faster; the bytes are the csv module's."""
    rng = random.Random(8)
    alphabet = ["a", "Z", " ", ",", ";", '"', "'", "\r", "\n", "\r\n", "\t", "=", "-", "+", "@", "é", "“", "\x1f", ""]
    rows = [
        ["".join(rng.choices(alphabet, k=rng.randrange(6))) for _ in range(rng.randrange(1, 5))] for _ in range(3000)
    ]
    rows += [
        [],
        [""],
        ["", ""],
        [None],
        ["a", None],
        [1, 2.5, True],
        [date(2020, 1, 2), "x,y"],
        [("=a",), b"x,y"],
        ['"'],
    ]
    expected = io.StringIO(newline="")
    writer = csv.writer(expected, lineterminator="\r\n")
    writer.writerow(["h"])
    writer.writerows([neutralise(value) for value in row] for row in rows)
    assert b"".join(csv_pieces(["h"], rows)) == b"\xef\xbb\xbf" + expected.getvalue().encode("utf-8")


def test_export_csv_writes_excel_with_the_cells_of_the_csv_file(world, tmp_path):
    output = tmp_path / "agreements.xlsx"
    call_command("export_csv", "agreements", "--output", str(output), stderr=io.StringIO())
    sheet = load_workbook(output, read_only=True).worksheets[0]
    cells = [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
    exported = read_csv(staff_export("agreements", tmp_path))
    assert cells[0] == list(exported.headers)
    assert [row[0] for row in cells[1:]] == [row[0] for row in exported]


def test_a_download_keeps_the_order_of_the_list_it_was_filtered_for(client, world):
    for query in ({}, {"ordering": "title"}, {"ordering": "-in_force", "party": "CL"}):
        listed = []
        page = 1
        while True:
            response = client.get(url("agreements:list"), {**query, "page": page})
            listed += [agreement.slug for agreement in response.context["object_list"]]
            if not response.context["page_obj"].has_next():
                break
            page += 1
        downloaded = [row["slug"] for row in json.loads(download(client, "agreements", "json", query).getvalue())]
        assert downloaded == listed, query
    timeline = [row["slug"] for row in json.loads(download(client, "events", "json", {}).getvalue())]
    dates = [row["date"] for row in json.loads(download(client, "events", "json", {}).getvalue())]
    assert dates == sorted(dates, reverse=True) and len(timeline) == len(set(timeline))


def test_the_json_download_gives_lists_as_arrays_yes_no_as_booleans_and_empty_cells_as_null(client, world):
    agreements = {row["slug"]: row for row in json.loads(download(client, "agreements", "json", {}).getvalue())}
    pacific = agreements["pacific-alliance-framework-agreement"]
    assert pacific["parties"] == ["CL", "CO", "MX", "Pacific Alliance"]
    assert pacific["topics"] == ["trade"] and pacific["published"] is True
    assert pacific["signed_on"] == "2012-06-06" and pacific["ended_on"] is None
    assert agreements["ace-58-mercosur"]["signed_on"] == "2005"  # ISO 8601 at its precision
    directorates = json.loads(download(client, "directorates", "json", {}).getvalue())
    assert all(isinstance(row["position"], int) for row in directorates)
    events = json.loads(download(client, "events", "json", {}).getvalue())
    assert all(isinstance(row["participants"], list) and isinstance(row["agreements"], list) for row in events)
