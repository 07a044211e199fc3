"""Relations between agreements: written on one row, shown on both pages, kept apart from drafts."""

import pytest

from agreements.models import Agreement
from agreements.resources import AgreementResource
from foreignpolicy.tabular import read_csv, write_csv
from tests.factories import AgreementFactory
from tests.helpers import csv_text, problems, queries_of, url

pytestmark = pytest.mark.django_db

HEADER = "slug,title_en,title_es,type,status,relations"


def slugs(records):
    return sorted(record.slug for record in records.all())


def test_relations_name_agreements_in_the_database_or_in_the_same_file(import_csv):
    AgreementFactory(slug="tpp", title_en="Trans-Pacific Partnership")
    AgreementFactory(slug="ace-58", title_en="ACE 58")
    result = import_csv(
        "agreements",
        csv_text(
            HEADER,
            "cptpp,CPTPP,,multilateral-agreement,in_force,replaces:tpp",
            "brazil,Peru–Brazil deepening,,economic-complementation-agreement,signed,"
            "profundiza: ACE-58 ;modifica:protocol",
            "protocol,A protocol,,framework-agreement,signed,Protocol-To:cptpp",
        ),
    )
    assert not result.has_errors(), problems(result)
    cptpp, brazil, tpp = (Agreement.objects.get(slug=slug) for slug in ("cptpp", "brazil", "tpp"))
    assert slugs(cptpp.replaces) == ["tpp"] and slugs(tpp.replaced_by) == ["cptpp"]
    assert slugs(brazil.deepens) == ["ace-58"] and slugs(brazil.amends) == ["protocol"]
    assert slugs(cptpp.protocols) == ["protocol"]


def test_the_export_writes_each_relation_once_and_imports_again_unchanged(import_csv):
    tpp, cptpp = AgreementFactory(slug="tpp"), AgreementFactory(slug="cptpp")
    ace = AgreementFactory(slug="ace-58")
    cptpp.replaces.add(tpp)
    cptpp.amends.add(ace)
    cptpp.succeeds.add(tpp)
    exported = AgreementResource().export()
    cells = dict(zip(exported["slug"], exported["relations"], strict=True))
    assert cells == {"cptpp": "amends:ace-58;replaces:tpp;succeeds:tpp", "tpp": "", "ace-58": ""}
    again = import_csv("agreements", write_csv(exported).decode("utf-8-sig"))
    assert again.totals["skip"] == 3, problems(again)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "replace:tpp",
            "Row 2, column “relations”: “replace” is not a kind of relation; write “amends” or “replaces” or "
            "“protocol-to” or “implements” or “deepens” or “succeeds”.",
        ),
        (
            "replaced-by:tpp",
            "Row 2, column “relations”: “replaced-by” is the other side of a relation: write it on the "
            "row of “tpp”, as “replaces:” and this agreement's slug.",
        ),
        ("amends:", "Row 2, column “relations”: “amends:” names no agreement; write its slug after the colon."),
        (
            "amends:nowhere",
            "Row 2, column “relations”: No agreement with the slug “nowhere”, in the database or in this file.",
        ),
        ("amends:x", "Row 2, column “relations”: An agreement cannot have a relation to itself (“amends:x”)."),
    ],
)
def test_a_relation_that_cannot_be_is_named_by_row_and_column(import_csv, cell, message):
    AgreementFactory(slug="tpp")
    result = import_csv("agreements", csv_text(HEADER, f"x,X,,multilateral-agreement,in_force,{cell}"))
    assert problems(result) == [message]
    assert not Agreement.objects.filter(slug="x").exists()


def test_both_pages_show_the_relation_in_both_languages_and_never_a_draft(client):
    tpp = AgreementFactory(
        slug="tpp", title_en="Trans-Pacific Partnership", title_es="Acuerdo de Asociación Transpacífico"
    )
    cptpp = AgreementFactory(slug="cptpp", title_en="CPTPP", title_es="CPTPP (es)")
    draft = AgreementFactory(slug="secret", title_en="Secret amendment", is_published=False)
    cptpp.replaces.add(tpp)
    draft.amends.add(cptpp)
    cptpp.amends.add(draft)
    page = client.get(url("agreements:detail", slug="cptpp")).content.decode()
    assert '<dt>Replaces</dt><dd><a href="/en/agreements/tpp/">Trans-Pacific Partnership</a></dd>' in page
    assert "Secret" not in page and "Amend" not in page
    other = client.get(url("agreements:detail", "es", slug="tpp")).content.decode()
    assert '<dt>Reemplazado por</dt><dd><a href="/es/acuerdos/cptpp/">CPTPP (es)</a></dd>' in other


def test_the_agreement_page_runs_as_many_queries_for_one_relation_as_for_thirty(client):
    one, many = AgreementFactory(slug="one"), AgreementFactory(slug="many")
    one.amends.add(AgreementFactory())
    for other in AgreementFactory.create_batch(10):
        many.replaces.add(other)
        other.amends.add(many)
        many.protocol_to.add(AgreementFactory())
    # Each page asked for once (the page cache would answer a second time with no query),
    # after a first request sets the cache's state up.
    client.get(url("agreements:list"))
    counted = queries_of(client, url("agreements:detail", slug="one"))
    assert queries_of(client, url("agreements:detail", slug="many")) == counted <= 10


def test_the_csv_reader_and_the_widget_agree_on_a_cell_with_spaces(import_csv):
    AgreementFactory(slug="tpp")
    dataset = read_csv(csv_text(HEADER, 'x,X,,multilateral-agreement,in_force," replaces : tpp "').encode())
    result = AgreementResource().import_data(dataset, dry_run=False)
    assert not result.has_errors(), problems(result)
    assert slugs(Agreement.objects.get(slug="x").replaces) == ["tpp"]


def test_the_list_runs_as_many_queries_whatever_the_relations_of_its_agreements(client):
    client.get(url("agreements:list"))  # the page cache's state is set up
    agreements = AgreementFactory.create_batch(5)
    before = queries_of(client, url("agreements:list") + "?ordering=title")
    for agreement in agreements:
        agreement.replaces.add(*[other for other in agreements if other != agreement])
    assert queries_of(client, url("agreements:list") + "?ordering=signed") == before


def test_the_public_download_leaves_out_relations_to_drafts(client):
    cptpp, tpp = AgreementFactory(slug="cptpp"), AgreementFactory(slug="tpp")
    cptpp.replaces.add(tpp, AgreementFactory(slug="secret", is_published=False))
    download = client.get(url("agreements:download", format="csv")).getvalue().decode("utf-8-sig")
    rows = {row["slug"]: row["relations"] for row in read_csv(download.encode()).dict}
    assert rows == {"cptpp": "replaces:tpp", "tpp": ""}
