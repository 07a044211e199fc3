from datetime import date

import pytest
from reversion.models import Version

from agreements.models import Agreement
from agreements.resources import AgreementResource
from foreignpolicy.imports import plan as plan_module
from foreignpolicy.models import ImportRecord
from foreignpolicy.partial_dates import Precision
from foreignpolicy.tabular import read_csv, write_csv
from tests.factories import AgreementFactory, DirectorateFactory
from tests.helpers import csv_text, history, problems, then_meanwhile

pytestmark = pytest.mark.django_db

HEADER = (
    "slug,title_en,title_es,short_title,type,status,parties,directorate,topics,signed_on,in_force_on,ended_on,published"
)


def test_a_good_file_creates_every_record_with_its_relations(import_csv):
    DirectorateFactory(slug="dae", acronym="DAE")
    result = import_csv(
        "agreements",
        csv_text(
            HEADER,
            "pe-us-tpa,Trade Promotion Agreement between Peru and the U.S.A.,Acuerdo de Promoción Comercial Perú - "
            "Estados Unidos,APC,trade-promotion-agreement,in_force,US,dae,trade,2006-04-12,2009-02-01,,yes",
            "tpp-11,Comprehensive and Progressive Trans-Pacific Partnership,,TPP-11,free-trade-agreement,in_force,"
            "AU;BN;CA;CL;JP;MY;MX;NZ;SG;VN,DAE,trade;Science technology and innovation,2018,2021-09-19,,no",
        ),
    )
    assert problems(result) == []
    assert result.summary() == "2 created, 0 updated, 0 unchanged; 1 of them is a draft."
    tpa = Agreement.objects.get(slug="pe-us-tpa")
    assert tpa.status.code == "in_force"
    assert list(tpa.countries.values_list("code", flat=True)) == ["US"]
    assert tpa.directorate.slug == "dae"
    assert tpa.signed == tpa.signed.__class__(date(2006, 4, 12), Precision.DAY)
    assert tpa.is_published
    tpp = Agreement.objects.get(slug="tpp-11")
    assert tpp.countries.count() == 10
    assert set(tpp.topics.values_list("slug", flat=True)) == {"trade", "science-technology-and-innovation"}
    assert (tpp.signed_on, tpp.signed_on_precision) == (date(2018, 1, 1), Precision.YEAR)
    assert not tpp.is_published


@pytest.mark.parametrize(
    "spelling",
    [
        "free-trade-agreement",
        "Free trade agreement",
        "FREE TRADE AGREEMENT",
        "Tratado de libre comercio",
        "tratado de libre comércio",
    ],
)
def test_vocabulary_values_match_slug_or_either_name_ignoring_case_and_accents(import_csv, spelling):
    result = import_csv("agreements", csv_text("title_en,type,status", f"Peru-Chile FTA,{spelling},in_force"))
    assert problems(result) == []
    assert Agreement.objects.get().type.slug == "free-trade-agreement"


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("in_force", "in_force"),
        ("Vigente", "in_force"),
        ("in force", "in_force"),
        ("Suscrito, no vigente", "signed"),
        ("Signed, not in force", "signed"),
        ("Suscrito, por entrar en vigencia", "signed"),  # the 2022 book's wording
        ("about to enter into force", "signed"),
        ("EN NEGOCIACION", "under_negotiation"),
        ("No longer in force", "terminated"),
    ],
)
def test_statuses_match_their_code_or_either_name(import_csv, spelling, code):
    result = import_csv("agreements", csv_text("title_en,type,status", f'X,Acuerdo marco,"{spelling}"'))
    assert problems(result) == []
    assert Agreement.objects.get().status.code == code


def test_parties_mix_countries_by_any_code_or_name_with_organisations(import_csv):
    result = import_csv(
        "agreements",
        csv_text(
            "title_en,type,status,parties",
            "X,multilateral-agreement,in_force,"
            "CL;CHN;Canada;Corea del Sur;Turkey;U.S.A.;EU;Mercosur;Comunidad Andina;OMC",
        ),
    )
    assert problems(result) == []
    agreement = Agreement.objects.get()
    assert set(agreement.countries.values_list("code", flat=True)) == {"CL", "CN", "CA", "KR", "TR", "US"}
    assert set(agreement.organisations.values_list("slug", flat=True)) == {"eu", "mercosur", "andean-community", "wto"}


def test_can_is_the_andean_community_and_ca_is_canada(import_csv):
    import_csv("agreements", csv_text("title_en,type,status,parties", "X,Acuerdo marco,in_force,CAN;CA"))
    agreement = Agreement.objects.get()
    assert list(agreement.organisations.values_list("slug", flat=True)) == ["andean-community"]
    assert list(agreement.countries.values_list("code", flat=True)) == ["CA"]


@pytest.mark.parametrize(
    ("cell", "published"),
    [
        ("yes", True),
        ("Sí", True),
        ("si", True),
        ("TRUE", True),
        ("VERDADERO", True),
        ("FALSO", False),
        ("1", True),
        ("no", False),
        ("false", False),
        ("0", False),
        ("", False),
    ],
)
def test_published_accepts_yes_no_in_both_languages_and_empty_means_draft(import_csv, cell, published):
    result = import_csv("agreements", csv_text("title_en,type,status,published", f"X,Acuerdo marco,in_force,{cell}"))
    assert problems(result) == []
    assert Agreement.objects.get().is_published is published


def test_a_file_without_a_published_column_imports_drafts(import_csv):
    import_csv("agreements", csv_text("title_en,type,status", "X,Acuerdo marco,in_force"))
    assert not Agreement.objects.get().is_published


def test_an_empty_slug_is_derived_from_the_english_title_or_else_the_spanish_one(import_csv):
    import_csv(
        "agreements",
        csv_text(
            "slug,title_en,title_es,type,status",
            ",Peru-Chile Free Trade Agreement,,free-trade-agreement,in_force",
            ",,Tratado de Libre Comercio Perú - Turquía,free-trade-agreement,under_negotiation",
        ),
    )
    assert set(Agreement.objects.values_list("slug", flat=True)) == {
        "peru-chile-free-trade-agreement",
        "tratado-de-libre-comercio-peru-turquia",
    }


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Peru–Chile FTA", "peru-chile-fta"),  # en dash
        ("Peru—Chile FTA", "peru-chile-fta"),  # em dash
        ("Perú ‑ Chile", "peru-chile"),  # non-breaking hyphen
        ("Perú‐Chile", "peru-chile"),  # hyphen
        ("Asia/Pacífico − 2030", "asia-pacifico-2030"),  # slash, minus sign
        ("Perú－Japón", "peru-japon"),  # full-width hyphen-minus
    ],
)
def test_dashes_of_every_kind_and_slashes_separate_the_words_of_a_derived_slug(import_csv, title, slug):
    import_csv("agreements", csv_text("title_en,type,status", f"{title},Acuerdo marco,under_negotiation"))
    assert Agreement.objects.get().slug == slug


def test_a_row_whose_slug_exists_updates_that_record_and_unchanged_rows_are_counted(import_csv):
    AgreementFactory(slug="pe-cl", title_en="Old title", title_es="Título anterior", is_published=True)
    AgreementFactory(slug="pe-ca", title_en="Peru-Canada FTA", title_es="TLC Perú-Canadá", is_published=True)
    result = import_csv(
        "agreements",
        csv_text(
            "slug,title_en,status,published",
            "pe-cl,Peru-Chile FTA,signed,yes",
            "pe-ca,Peru-Canada FTA,in_force,yes",
        ),
    )
    assert result.summary() == "0 created, 1 updated, 1 unchanged; 0 of them are drafts."
    updated = Agreement.objects.get(slug="pe-cl")
    assert (updated.title_en, updated.status.code, updated.title_es) == ("Peru-Chile FTA", "signed", "Título anterior")
    assert Agreement.objects.count() == 2


def test_an_import_records_who_changed_what_in_the_change_history(import_csv, admin_user, client, settings):
    settings.LANGUAGE_CODE = "en"
    first = import_csv(
        "agreements", csv_text("slug,title_en,type,status", "pe-cl,Old title,free-trade-agreement,signed")
    )
    again = import_csv(
        "agreements",
        csv_text(
            "slug,title_en,type,status,published",
            "pe-cl,Peru-Chile FTA,free-trade-agreement,in_force,yes",
            "new-one,New,Acuerdo marco,signed,no",
        ),
    )
    record = ImportRecord.objects.get(pk=again.record.pk)
    assert (record.user, record.file_name, record.created, record.updated, record.unchanged) == (
        admin_user,
        "agreements.csv",
        1,
        1,
        0,
    )
    client.force_login(admin_user)
    changed, created = Agreement.objects.get(slug="pe-cl"), Agreement.objects.get(slug="new-one")
    source = "Import #{} of agreements.csv"
    assert history(client, changed) == [
        ("admin", source.format(record.pk), "Published, Title (English), Status"),
        ("admin", source.format(first.record.pk), "First revision"),
    ]
    assert history(client, created) == [("admin", source.format(record.pk), "First revision")]
    assert (changed.changed_by, changed.published_by) == (admin_user, admin_user)
    assert (created.changed_by, created.published_by) == (admin_user, None)


def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported(import_csv):
    result = import_csv(
        "agreements",
        csv_text(
            "slug,title_en,type,status,parties,signed_on,in_force_on",
            "good,Good one,free-trade-agreement,in_force,CL,2006,2009",
            "bad-type,Bad type,Tratado raro,in_force,CL,2006,2009",
            "bad-party,Bad party,free-trade-agreement,in_force,CL;Narnia,2006,2009",
            "bad-date,Bad date,free-trade-agreement,in_force,CL,31/02/2010,",
            "bad-order,Bad order,free-trade-agreement,in_force,CL,2010-05-01,2009",
            "no-title,,free-trade-agreement,Vigentes,,,",
        ),
    )
    assert problems(result) == [
        "Row 3, column “type”: Not a known agreement type: “Tratado raro”.",
        "Row 4, column “parties”: Not a known country or organisation: “Narnia”.",
        "Row 5, column “signed_on”: “31/02/2010” is not a real date: that month has 28 days.",
        "Row 6, column “in_force_on”: Entry into force (2009) is before the signature (2010-05-01).",
        "Row 7, column “title_en”: Give the title in English, in Spanish or in both.",
        "Row 7, column “status”: Not a known agreement status: “Vigentes”.",
    ]
    assert Agreement.objects.count() == 0
    assert not Version.objects.exists()


def test_unknown_missing_and_duplicated_columns_are_reported_for_the_file(import_csv):
    result = import_csv("agreements", csv_text("titel_en,type,type,status", "X,Acuerdo marco,Acuerdo marco,in_force"))
    assert problems(result) == [
        "Column “titel_en”: not a column of this format. Did you mean “title_en”?",
        "Column “type”: the column appears twice; keep one.",
        "The file needs a slug column or a title_en or title_es column to know which records it describes.",
    ]


def test_two_rows_with_the_same_slug_are_refused(import_csv):
    result = import_csv(
        "agreements",
        csv_text(
            "slug,title_en,type,status",
            "pe-cl,A,Acuerdo marco,in_force",
            "PE-CL,B,Acuerdo marco,in_force",
        ),
    )
    assert problems(result) == ["Row 3, column “slug”: “pe-cl” is also the slug of row 2; each record may appear once."]


def test_a_new_record_needs_its_type_and_status(import_csv):
    result = import_csv("agreements", csv_text("title_en,type,status", "X,,"))
    assert problems(result) == [
        "Row 2, column “type”: A value is required here.",
        "Row 2, column “status”: A value is required here.",
    ]


def test_an_unknown_directorate_reference_is_reported_not_dropped(import_csv):
    result = import_csv("agreements", csv_text("title_en,type,status,directorate", "X,Acuerdo marco,in_force,dgx"))
    assert problems(result) == [
        "Row 2, column “directorate”: No directorate with the slug “dgx”, in the database or in this file."
    ]


def test_over_long_values_and_bad_links_are_refused(import_csv):
    result = import_csv(
        "agreements",
        csv_text(
            "title_en,type,status,source_url",
            f"{'x' * 301},Acuerdo marco,in_force,not a link",
        ),
    )
    assert problems(result) == [
        "Row 2, column “title_en”: Ensure this value has at most 300 characters (it has 301).",
        "Row 2, column “source_url”: Enter a valid URL.",
    ]


def test_an_update_checks_the_values_it_changes_and_leaves_the_others_as_they_were(import_csv):
    AgreementFactory(slug="pe-cl", source_url="https://example.org/pe-cl")
    # Stored before the rule it now breaks: a row that does not touch it is not refused.
    Agreement.objects.filter(slug="pe-cl").update(source_url="not a link")
    header = "slug,title_en,summary_en,source_url"
    result = import_csv("agreements", csv_text(header, "pe-cl,Peru–Chile,A new summary,not a link"))
    assert problems(result) == []
    assert Agreement.objects.get(slug="pe-cl").summary_en == "A new summary"
    result = import_csv("agreements", csv_text(header, f"pe-cl,{'x' * 301},A new summary,not a link"))
    assert problems(result) == ["Row 2, column “title_en”: Ensure this value has at most 300 characters (it has 301)."]
    result = import_csv("agreements", csv_text(header, "pe-cl,Peru–Chile,A new summary,still not a link"))
    assert problems(result) == ["Row 2, column “source_url”: Enter a valid URL."]


def test_a_record_deleted_while_the_file_is_checked_is_made_anew(import_csv, monkeypatch):
    AgreementFactory(slug="gone", title_en="Before")
    then_meanwhile(monkeypatch, plan_module, "load_existing", lambda: Agreement.objects.filter(slug="gone").delete())
    result = import_csv("agreements", csv_text("slug,title_en,type,status", "gone,After,Acuerdo marco,signed"))
    assert problems(result) == []
    assert [row.import_type for row in result.rows] == ["new"]
    assert Agreement.objects.get(slug="gone").title_en == "After"


def test_a_dry_run_reports_the_same_and_writes_nothing(import_csv):
    result = import_csv("agreements", csv_text("title_en,type,status", "X,Acuerdo marco,in_force"), dry_run=True)
    assert result.summary() == "1 created, 0 updated, 0 unchanged; 1 of them is a draft."
    assert Agreement.objects.count() == 0


def test_a_windows_1252_semicolon_file_from_excel_imports(import_csv):
    text = "title_es;type;status;signed_on\r\nTratado de Libre Comercio Perú – Canadá;TLC;Vigente;29/05/2008\r\n"
    result = import_csv("agreements", text.replace("TLC", "Tratado de libre comercio"), encoding="cp1252")
    assert problems(result) == []
    agreement = Agreement.objects.get()
    assert agreement.title_es == "Tratado de Libre Comercio Perú – Canadá"
    assert agreement.signed_on == date(2008, 5, 29)


def export_rows():
    return write_csv(AgreementResource().export()).decode("utf-8-sig").splitlines()


def test_the_export_writes_the_canonical_form(import_csv):
    DirectorateFactory(slug="dae", acronym="DAE")
    import_csv(
        "agreements",
        csv_text(
            "title_es,type,status,parties,directorate,topics,signed_on,wto_rta_id,aladi_number,published,publish_at",
            'Acuerdo con la CAN,Acuerdo de integración regional,Vigente,"Comunidad Andina;Bolivia;Ecuador;COL",DAE,'
            "Comercio,05/1969, RTA 12 ,ACE N° 58,Sí,2026-03-01T14:30:00Z",
        ),
    )
    assert export_rows() == [
        "slug,title_en,title_es,short_title,type,status,parties,directorate,topics,signed_on,in_force_on,"
        "ended_on,relations,summary_en,summary_es,source_url,depositary_en,depositary_es,unts_number,wto_rta_id,"
        "aladi_number,archive_code,published,publish_at",
        "acuerdo-con-la-can,,Acuerdo con la CAN,,regional-integration-agreement,in_force,BO;CO;EC;CAN,dae,trade,"
        "1969-05,,,,,,,,,,12,58,,yes,2026-03-01T09:30-05:00",
    ]


def test_export_then_import_into_an_empty_database_gives_the_same_records(import_csv, django_db_blocker):
    DirectorateFactory(slug="dae")
    import_csv(
        "agreements",
        csv_text(
            HEADER + ",summary_en,source_url",
            'a,"Title, with comma",Título,T-1,free-trade-agreement,in_force,CL;EU,dae,trade;health,2006,2009-03,'
            '2020-01-02,yes,"Two\nlines",https://example.org/a',
            "b,B,,,strategic-partnership,signed,BR,,,2003,,,no,,",
        ),
    )
    exported = export_rows()
    Agreement.objects.all().delete()
    result = import_csv("agreements", "\n".join(exported) + "\n")
    assert problems(result) == []
    assert result.totals["new"] == 2
    assert export_rows() == exported


def test_the_export_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    for count in (3, 300):
        AgreementFactory.create_batch(count)
        with django_assert_max_num_queries(6):
            dataset = AgreementResource().export()
        assert len(dataset) == Agreement.objects.count()


def test_an_import_runs_a_number_of_queries_independent_of_its_rows(import_csv, django_assert_max_num_queries):
    def rows(count, offset):
        return csv_text(
            "slug,title_en,type,status,parties,topics",
            *(f"a{n},A{n},free-trade-agreement,in_force,CL;EU,trade" for n in range(offset, offset + count)),
        )

    # SQLite's bound on a query's parameters splits 300 records' inserts into a few; the
    # revision reads the records' steps and participants, a query each.
    with django_assert_max_num_queries(37):
        import_csv("agreements", rows(3, 0))
    with django_assert_max_num_queries(37):
        import_csv("agreements", rows(300, 100))
    assert Agreement.objects.count() == 303


def test_dataset_rows_from_the_reader_go_through_the_resource_unchanged():
    dataset = read_csv(b"title_en,type,status\r\nX,Acuerdo marco,in_force\r\n")
    assert AgreementResource().import_data(dataset, dry_run=True).totals["new"] == 1
