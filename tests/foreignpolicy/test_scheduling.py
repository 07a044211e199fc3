"""Scheduled publication through the import: the `publish_at` column (docs/csv-format.md)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from agreements.models import Agreement
from foreignpolicy.registry import resource_for
from foreignpolicy.tabular import read_csv, write_csv
from tests.factories import StaffFactory
from tests.helpers import csv_text, problems

pytestmark = pytest.mark.django_db

HEADER = "slug,title_en,type,status,published,publish_at"


def row(moment, published="yes", slug="a"):
    return csv_text(HEADER, f"{slug},A,free-trade-agreement,signed,{published},{moment}")


@pytest.mark.parametrize(
    ("cell", "moment"),
    [
        ("2027-01-15T09:00-05:00", datetime(2027, 1, 15, 14, 0, tzinfo=UTC)),
        ("2027-01-15T14:00Z", datetime(2027, 1, 15, 14, 0, tzinfo=UTC)),
        ("2027-01-15T14:00:30+00:00", datetime(2027, 1, 15, 14, 0, 30, tzinfo=UTC)),
        ("", None),
    ],
)
def test_a_moment_with_its_time_zone_is_read_as_that_instant(import_csv, cell, moment):
    assert problems(import_csv("agreements", row(cell))) == []
    assert Agreement.objects.get(slug="a").publish_at == moment


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "2027-01-15T09:00",
            "“2027-01-15T09:00” gives no time zone; add it, as in 2027-01-15T09:00-05:00 (Lima is -05:00).",
        ),
        ("15/01/2027 9:00", "“15/01/2027 9:00” is not a date and time; write it as 2027-01-15T09:00-05:00."),
    ],
)
def test_a_moment_without_a_time_zone_or_unreadable_is_an_error_naming_row_and_column(import_csv, cell, message):
    assert problems(import_csv("agreements", row(cell))) == [f"Row 2, column “publish_at”: {message}"]
    assert not Agreement.objects.exists()


def test_the_export_writes_the_moment_in_lima_time_and_reads_back_unchanged(import_csv):
    import_csv("agreements", row("2027-01-15T14:00Z"))
    exported = resource_for("agreements").export()
    assert exported.dict[0]["publish_at"] == "2027-01-15T09:00-05:00"
    again = resource_for("agreements").import_data(read_csv(write_csv(exported)), dry_run=True)
    assert [r.import_type for r in again.rows] == ["skip"]


def test_an_imported_schedule_keeps_the_record_hidden_until_its_moment(import_csv):
    moment = timezone.now() + timedelta(hours=3)
    import_csv("agreements", row(moment.isoformat()))
    assert not Agreement.objects.published().exists()
    with time_machine.travel(moment, tick=False):
        assert list(Agreement.objects.published().values_list("slug", flat=True)) == ["a"]


def test_only_a_publisher_schedules_through_an_import():
    editor = StaffFactory()
    editor.groups.set(Group.objects.filter(name__in=["Editors", "Importers and exporters"]))
    result = resource_for("agreements").import_data(
        read_csv(row("2027-01-15T09:00-05:00", published="no").encode()), dry_run=True, user=editor
    )
    assert problems(result) == [
        "Row 2, column “publish_at”: Only a publisher can schedule a publication: leave the cell empty."
    ]
