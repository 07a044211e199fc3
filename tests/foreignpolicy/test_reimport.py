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
    assert [(row.number, row.import_type, list(row.changes)) for row in again.rows] == [
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


def demo_export(kind):
    return read_csv(write_csv(resource_for(kind).export()))


def changed_cell(dataset, slug, column, text):
    number = [row[dataset.headers.index("slug")] for row in dataset].index(slug)
    row = list(dataset[number])
    row[dataset.headers.index(column)] = text
    dataset[number] = row
    return number


@pytest.mark.parametrize(
    ("column", "text", "action"),
    [
        # Told from what the cell means: a name for a code, another form of the date.
        ("parties", "Chile", "skip"),
        ("type", "Tratado de libre comercio", "skip"),
        ("signed_on", "22/08/2006", "skip"),
        # Text not as stored is read in full: spaces around it go, a capital does not.
        ("title_en", "  Peru–Chile Free Trade Agreement ", "skip"),
        ("title_en", "Peru–Chile free trade agreement", "update"),
        ("parties", "CL; PE", "update"),
        ("published", "no", "update"),
    ],
)
def test_a_row_is_unchanged_only_when_every_cell_means_what_the_record_holds(demo, column, text, action):
    exported = demo_export("agreements")
    slug = "peru-chile-fta"
    assert exported[[row[0] for row in exported].index(slug)][exported.headers.index("title_en")] == (
        "Peru–Chile Free Trade Agreement"
    )
    number = changed_cell(exported, slug, column, text)
    result = resource_for("agreements").import_data(exported, dry_run=True)
    assert problems(result) == []
    assert {row.import_type for position, row in enumerate(result.rows) if position != number} == {"skip"}
    assert result.rows[number].import_type == action


def test_a_file_without_the_published_column_makes_published_records_drafts(demo):
    exported = demo_export("agreements")
    del exported["published"]
    result = resource_for("agreements").import_data(exported, dry_run=True)
    assert problems(result) == []
    assert {row.import_type for row in result.rows} == {"update"}
    assert {tuple(change) for row in result.rows for change in row.changes} == {("published", "yes", "no")}


def test_a_cell_that_cannot_be_read_is_told_even_on_a_row_otherwise_unchanged(demo):
    exported = demo_export("agreements")
    number = changed_cell(exported, "peru-chile-fta", "topics", "not-a-topic")
    result = resource_for("agreements").import_data(exported, dry_run=True)
    assert [(problem.row, problem.column) for problem in result.problems] == [(number + 2, "topics")]


def test_the_preview_of_a_file_imported_again_names_its_records_in_a_fixed_number_of_queries(
    demo, django_assert_max_num_queries
):
    exported = demo_export("agreements")
    result = resource_for("agreements").import_data(exported, dry_run=True)
    with django_assert_max_num_queries(0):
        names = [row.object_repr for row in result.rows]
    assert "Peru–Chile Free Trade Agreement" in names
    assert len(set(names)) == len(exported)
