from datetime import date

import pytest

from events.models import Event
from events.resources import EventResource
from foreignpolicy.tabular import write_csv
from tests.factories import AgreementFactory, DirectorateFactory
from tests.helpers import csv_text, problems

pytestmark = pytest.mark.django_db

HEADER = (
    "slug,title_en,title_es,date,end_date,type,location,country,participants,directorates,agreements,topics,published"
)


def test_an_event_links_countries_organisations_directorates_and_agreements(import_csv):
    DirectorateFactory(slug="opm", acronym="OPM")
    AgreementFactory(slug="oas-eom")
    result = import_csv(
        "events",
        csv_text(
            HEADER,
            "summit-2018,VIII Summit of the Americas,VIII Cumbre de las Américas,13/04/2018,14/04/2018,Cumbre,Lima,"
            "Perú,OEA;US;Chile,opm,oas-eom,democracy-and-anti-corruption,sí",
        ),
    )
    assert problems(result) == []
    event = Event.objects.get()
    assert (event.date, event.end_date, event.country_id) == (date(2018, 4, 13), date(2018, 4, 14), "PE")
    assert set(event.countries.values_list("code", flat=True)) == {"US", "CL"}
    assert list(event.organisations.values_list("slug", flat=True)) == ["oas"]
    assert list(event.directorates.values_list("slug", flat=True)) == ["opm"]
    assert list(event.agreements.values_list("slug", flat=True)) == ["oas-eom"]
    assert event.type.slug == "summit"


def test_every_unknown_reference_is_reported_not_silently_dropped(import_csv):
    AgreementFactory(slug="known")
    result = import_csv(
        "events",
        csv_text("title_en,date,type,directorates,agreements", "X,2020,summit,nowhere,known;missing-one;missing-two"),
    )
    assert problems(result) == [
        "Row 2, column “directorates”: No directorate with the slug “nowhere”, in the database or in this file.",
        "Row 2, column “agreements”: No agreement with the slug “missing-one”, “missing-two”, in the database or in "
        "this file.",
    ]
    assert Event.objects.count() == 0


def test_an_end_before_the_start_is_refused_but_a_partial_date_may_contain_it(import_csv):
    result = import_csv(
        "events",
        csv_text("title_en,date,end_date,type", "Bad,2018-04-14,2018-04-13,summit", "Fine,2018-04-14,2018-04,summit"),
    )
    assert problems(result) == [
        "Row 2, column “end_date”: The end date (2018-04-13) is before the date (2018-04-14).",
    ]


def test_an_event_needs_a_date(import_csv):
    result = import_csv("events", csv_text("title_en,date,type", "X,,summit"))
    assert problems(result) == ["Row 2, column “date”: A value is required here."]


def test_updating_participants_replaces_them(import_csv):
    import_csv("events", csv_text("slug,title_en,date,type,participants", "x,X,2020,summit,CL;EU"))
    result = import_csv("events", csv_text("slug,title_en,date,type,participants", "x,X,2020,summit,AR"))
    assert result.totals["update"] == 1
    event = Event.objects.get()
    assert list(event.countries.values_list("code", flat=True)) == ["AR"]
    assert not event.organisations.exists()


def test_export_then_import_into_an_empty_database_gives_the_same_events(import_csv):
    DirectorateFactory(slug="opm")
    AgreementFactory(slug="a")
    import_csv(
        "events",
        csv_text(
            HEADER + ",summary_es,source_url",
            'e1,One,Uno,2025-12,,anuncio,"Washington, D.C.",US,US;UN,opm,a,health,yes,"Resumen; con punto y coma",'
            "https://andina.pe/x",
            "e2,Two,,2009,2015-12,consular-and-humanitarian-action,,,,,,,no,,",
        ),
    )
    exported = write_csv(EventResource().export()).decode("utf-8-sig")
    Event.objects.all().delete()
    result = import_csv("events", exported)
    assert problems(result) == []
    assert write_csv(EventResource().export()).decode("utf-8-sig") == exported
