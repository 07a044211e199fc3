"""Directorates renamed, merged and split: their predecessors and successors, and the units
that carry on the work of those responsible at the time."""

from datetime import date

import pytest
from django.urls import reverse

from directorates.models import Directorate
from foreignpolicy.partial_dates import Precision
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.helpers import csv_text, problems, queries_of, url

pytestmark = pytest.mark.django_db

HEADER = "slug,name_en,name_es,predecessors,formed_on,dissolved_on,published"


def test_predecessors_and_dates_are_imported_from_the_database_or_the_same_file(import_csv):
    DirectorateFactory(slug="dge-old", name_en="Old economic directorate")
    result = import_csv(
        "directorates",
        csv_text(
            HEADER,
            "dge,Economic Affairs,Asuntos Económicos,dge-old; dpc-old,2019,,yes",
            "dpc-old,Old promotion unit,Antigua unidad de promoción,,2001-03,2019-01-15,yes",
        ),
    )
    assert not result.has_errors(), problems(result)
    dge = Directorate.objects.get(slug="dge")
    assert sorted(dge.predecessors.values_list("slug", flat=True)) == ["dge-old", "dpc-old"]
    assert (dge.formed_on, dge.formed_on_precision) == (date(2019, 1, 1), Precision.YEAR)
    old = Directorate.objects.get(slug="dpc-old")
    assert (old.dissolved_on, list(old.successors.values_list("slug", flat=True))) == (date(2019, 1, 15), ["dge"])


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("x,,,", "Row 2, column “predecessors”: A directorate cannot carry on from itself (“x”)."),
        (",2019,2018,", "Row 2, column “dissolved_on”: The unit ceased (2018) before it took its present form (2019)."),
        (
            "nowhere,,,",
            "Row 2, column “predecessors”: No directorate with the slug “nowhere”, in the database or in this file.",
        ),
    ],
)
def test_a_succession_that_cannot_be_is_named_by_row_and_column(import_csv, cells, message):
    result = import_csv("directorates", csv_text(HEADER, f"x,X,X,{cells}"))
    assert problems(result) == [message]


def test_both_units_pages_tell_the_succession_in_both_languages_and_never_a_draft(client):
    old = DirectorateFactory(slug="old", name_en="Old unit", name_es="Unidad antigua", dissolved_on=date(2019, 1, 15))
    new = DirectorateFactory(slug="new", name_en="New unit", name_es="Unidad nueva", formed_on=date(2019, 1, 15))
    secret = DirectorateFactory(slug="secret", name_en="Secret unit", is_published=False)
    new.predecessors.add(old)
    secret.predecessors.add(old)
    page = client.get(url("directorates:detail", slug="old")).content.decode()
    assert '<dt>Since 15 January 2019 part of</dt><dd><a href="/en/directorates/new/">New unit</a></dd>' in page
    assert "Secret" not in page
    page = client.get(url("directorates:detail", "es", slug="new")).content.decode()
    assert '<dt>Antes</dt><dd><a href="/es/direcciones/old/">Unidad antigua</a></dd>' in page
    assert "<dt>En su forma actual desde</dt><dd>15 de enero de 2019</dd>" in page


def test_agreements_and_events_keep_their_unit_and_name_the_one_that_carries_on_its_work(client):
    first = DirectorateFactory(slug="first", name_en="First unit")
    second = DirectorateFactory(slug="second", name_en="Second unit")
    third = DirectorateFactory(slug="third", name_en="Third unit")
    second.predecessors.add(first)
    third.predecessors.add(second)
    AgreementFactory(slug="old-treaty", directorate=first)
    event = EventFactory(slug="old-summit")
    event.directorates.add(first, third)
    agreement_page = client.get(url("agreements:detail", slug="old-treaty")).content.decode()
    assert (
        '<a href="/en/directorates/first/">First unit</a> <span class="meta">(now '
        '<a href="/en/directorates/third/">Third unit</a>)</span>'
    ) in agreement_page
    event_page = client.get(url("events:detail", slug="old-summit")).content.decode()
    assert event_page.count('(now <a href="/en/directorates/third/">Third unit</a>)') == 1


def test_an_agreement_page_runs_as_many_queries_after_one_succession_as_after_ten(client):
    client.get(url("agreements:list"))  # the page cache's state is set up
    one, chain = DirectorateFactory(), DirectorateFactory.create_batch(10)
    DirectorateFactory().predecessors.add(one)
    for before, after in zip(chain, chain[1:], strict=False):
        after.predecessors.add(before)
    AgreementFactory(slug="a", directorate=one)
    AgreementFactory(slug="b", directorate=chain[0])
    assert queries_of(client, url("agreements:detail", slug="a")) == queries_of(
        client, url("agreements:detail", slug="b")
    )


def test_a_unit_whose_successor_gave_no_date_is_now_part_of_it(client):
    old, new = DirectorateFactory(slug="old", name_en="Old unit"), DirectorateFactory(slug="new", name_en="New unit")
    new.predecessors.add(old)
    page = client.get(url("directorates:detail", slug="old")).content.decode()
    assert '<dt>Now part of</dt><dd><a href="/en/directorates/new/">New unit</a></dd>' in page


def test_the_admin_refuses_a_unit_that_carries_on_from_itself(admin_client):
    unit = DirectorateFactory(slug="unit", name_en="Unit", name_es="Unidad")
    response = admin_client.post(
        reverse("admin:directorates_directorate_change", args=[unit.pk]),
        {
            "name_en": "Unit",
            "name_es": "Unidad",
            "slug": "unit",
            "position": 0,
            "predecessors": [unit.pk],
            "formed_on_precision": "day",
            "dissolved_on_precision": "day",
        },
    )
    assert response.context["adminform"].form.errors["predecessors"] == ["Una dirección no puede continuar a sí misma."]
