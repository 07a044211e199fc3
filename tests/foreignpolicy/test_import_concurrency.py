"""An import writes only what it checked: a record changed while the file was being
checked stops the import, under row locks, inside its transaction."""

import pytest
from django.utils import timezone

from agreements.models import Agreement
from foreignpolicy import importing
from tests.factories import AgreementFactory
from tests.helpers import csv_text, problems, then_meanwhile

pytestmark = pytest.mark.django_db


def test_a_record_edited_while_its_file_is_checked_stops_the_import(import_csv, monkeypatch):
    AgreementFactory(slug="pe-cl", title_en="Before")
    then_meanwhile(
        monkeypatch,
        importing,
        "plan_import",
        lambda: Agreement.objects.filter(slug="pe-cl").update(title_en="Edited meanwhile", updated_at=timezone.now()),
    )
    result = import_csv(
        "agreements",
        csv_text(
            "slug,title_en,type,status", "pe-cl,From the file,Acuerdo marco,signed", "new,New,Acuerdo marco,signed"
        ),
    )
    assert problems(result) == [
        "These records changed while the file was being checked, so nothing was written: pe-cl. Preview again."
    ]
    # (The edit itself ran inside the import's transaction here, so it was rolled back with it.)
    assert Agreement.objects.get(slug="pe-cl").title_en != "From the file"
    assert not Agreement.objects.filter(slug="new").exists()
