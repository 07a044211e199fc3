"""A property of the pipeline: once a file is imported, previewing it again finds every
row unchanged — whatever spellings, date forms and references the file used. If it did
not, the first import wrote something other than what the file says."""

import pytest
from django.core.management import call_command

from foreignpolicy.registry import resource_for
from foreignpolicy.tabular import read_csv, write_csv
from tests.helpers import csv_text, problems

pytestmark = pytest.mark.django_db

FILES = {
    "directorates": csv_text(
        "slug,acronym,name_en,name_es,parent,summary_en,body_en,topics,position,published",
        # A new unit whose slug is another unit's acronym, and a child naming it.
        "dae,,New economic unit,Nueva unidad,,,,,3,Sí",
        'dct,DCT,Child unit,,dae,  Spaces around  ,"# Title\n\n- item",Comercio;culture,007,VERDADERO',
        # An existing unit renamed, moved under a unit named by acronym.
        "environment,DMA,Environment (renamed),,OPM,,,,,no",
        # A new unit named by its title only, with an acronym another row then uses.
        ",DXX,Unit by title,,,,,,,yes",
        "grandchild,,Grandchild,,DXX,,,,,",
    ),
    "agreements": csv_text(
        "slug,title_en,title_es,short_title,type,status,parties,directorate,topics,signed_on,in_force_on,published",
        "peru-chile-fta,Peru–Chile FTA (renamed),,,Tratado de libre comercio,Vigente,chile;CAN;oea,DAE,"
        "Comercio,22/08/2006,03/2009,sí",
        "new-one,'=Not a formula,Nuevo,,acuerdo marco,en negociacion,PER;U.S.A.;Corea del Sur,economic-affairs,,2024,,",
        ",Only a title,,,framework-agreement,signed,CHN,,,5/2011,,1",
        "pacific-alliance,Pacific Alliance,Alianza del Pacífico,,Acuerdo marco,in force,CL;CO;MX,,,,,yes",
    ),
    "events": csv_text(
        "slug,title_en,date,end_date,type,location,country,participants,directorates,agreements,topics,published",
        "new-event,A new summit,2026-03,2026-04-02,summit,Lima,Perú,OAS;chile;CAN,DAE;environment,"
        "peru-chile-fta;new-agreement,,yes",
        "ipcc-63-lima,IPCC in Lima (renamed),10/2025,,multilateral-conference,,PE,IPCC,,,,no",
        ",By title only,2025,,Cumbre,,,,,,culture,",
    ),
}


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_previewing_a_file_again_after_importing_it_finds_every_row_unchanged(import_csv, demo, kind):
    if kind == "events":
        import_csv("agreements", csv_text("slug,title_en,type,status", "new-agreement,New,acuerdo marco,signed"))
    first = import_csv(kind, FILES[kind])
    assert problems(first) == []
    assert {row.import_type for row in first.rows} >= {"new", "update"}
    again = import_csv(kind, FILES[kind], dry_run=True)
    assert problems(again) == []
    assert [(row.number, row.import_type, row.changes) for row in again.rows] == [
        (row.number, "skip", []) for row in again.rows
    ]


@pytest.mark.parametrize("kind", ["directorates", "agreements", "events"])
def test_importing_the_export_of_the_demo_changes_nothing(import_csv, demo, kind):
    exported = write_csv(resource_for(kind).export())
    result = resource_for(kind).import_data(read_csv(exported), dry_run=True)
    assert problems(result) == []
    assert {row.import_type for row in result.rows} == {"skip"}


@pytest.mark.parametrize("kind", ["directorates", "agreements", "events"])
def test_records_and_their_links_are_read_the_same_across_query_chunks(monkeypatch, demo, kind):
    monkeypatch.setattr("foreignpolicy.columns.QUERY_CHUNK", 3)
    exported = read_csv(write_csv(resource_for(kind).export()))
    topics = exported.headers.index("topics")
    changed = max(number for number, row in enumerate(exported) if row[topics])
    assert changed > 3
    exported[changed] = [*exported[changed][:topics], "", *exported[changed][topics + 1 :]]
    result = resource_for(kind).import_data(exported, dry_run=True)
    assert problems(result) == []
    assert [number for number, row in enumerate(result.rows) if row.import_type != "skip"] == [changed]
