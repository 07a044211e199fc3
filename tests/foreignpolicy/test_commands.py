from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from reversion.models import Version

from agreements.models import Agreement
from directorates.models import Directorate
from events.models import Event
from foreignpolicy.models import ImportRecord
from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_import_csv_prints_what_it_created_updated_and_left_unchanged(tmp_path):
    path = write(
        tmp_path,
        "a.csv",
        "slug,title_en,type,status,published\nx,X,Acuerdo marco,in_force,yes\ny,Y,Acuerdo marco,signed,\n",
    )
    out, _ = run("import_csv", "agreements", str(path), "--language", "en")
    assert out.strip() == "a.csv: 2 created, 0 updated, 0 unchanged; 1 of them is a draft."
    out, _ = run("import_csv", "agreements", str(path), "--language", "en")
    assert out.strip() == "a.csv: 0 created, 0 updated, 2 unchanged; 1 of them is a draft."


def test_import_csv_records_the_import_account_in_the_history(tmp_path):
    path = write(tmp_path, "a.csv", "title_en,type,status\nX,Acuerdo marco,in_force\n")
    run("import_csv", "agreements", str(path), "--language", "en")
    revision = Version.objects.get().revision
    assert revision.user.username == "import"
    assert not revision.user.is_active
    record = ImportRecord.objects.get()
    assert revision.source.import_record == record
    assert (record.user, record.file_name, record.created, record.updated, record.drafts) == (
        revision.user,
        "a.csv",
        1,
        0,
        1,
    )


def test_import_csv_lists_every_problem_and_exits_non_zero_writing_nothing(tmp_path):
    path = write(tmp_path, "bad.csv", "title_en,type,status\nGood,Acuerdo marco,signed\nBad,Nope,signed\n,x,y\n")
    err = StringIO()
    with pytest.raises(CommandError, match="bad.csv: 4 problems found; nothing was imported"):
        call_command("import_csv", "agreements", str(path), "--language", "en", stderr=err)
    assert err.getvalue().splitlines() == [
        "Row 3, column “type”: Not a known agreement type: “Nope”.",
        "Row 4, column “title_en”: Give the title in English, in Spanish or in both.",
        "Row 4, column “type”: Not a known agreement type: “x”.",
        "Row 4, column “status”: Not a known agreement status: “y”.",
    ]
    assert Agreement.objects.count() == 0


def test_import_csv_dry_run_reports_without_writing(tmp_path):
    path = write(tmp_path, "a.csv", "title_en,type,status\nX,Acuerdo marco,in_force\n")
    out, _ = run("import_csv", "agreements", str(path), "--dry-run", "--language", "en")
    assert out.strip() == "Dry run, nothing written: a.csv: 1 created, 0 updated, 0 unchanged; 1 of them is a draft."
    assert Agreement.objects.count() == 0


def test_import_csv_refuses_an_unreadable_file_with_its_reason(tmp_path):
    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(CommandError, match="picture.csv: This is not a text file"):
        call_command("import_csv", "agreements", str(path), "--language", "en")
    with pytest.raises(CommandError, match="Cannot read .*missing.csv"):
        call_command("import_csv", "agreements", str(tmp_path / "missing.csv"), "--language", "en")


@pytest.mark.parametrize(
    ("locale", "reason", "problem"),
    [
        (
            "es_PE.UTF-8",
            "se encontró 1 problema; no se importó nada",
            "Fila 2, columna «status»: No se reconoce como estado de acuerdo: «Vigentes».",
        ),
        (
            "C.UTF-8",
            "1 problem found; nothing was imported",
            "Row 2, column “status”: Not a known agreement status: “Vigentes”.",
        ),
    ],
)
def test_import_csv_speaks_the_operators_language(tmp_path, monkeypatch, locale, reason, problem):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", locale)
    path = write(tmp_path, "a.csv", "title_en,type,status\nX,Acuerdo marco,Vigentes\n")
    err = StringIO()
    with pytest.raises(CommandError, match=reason):
        call_command("import_csv", "agreements", str(path), stderr=err)
    assert err.getvalue().strip() == problem


def test_export_csv_writes_a_file_excel_opens_with_accents(tmp_path):
    AgreementFactory(slug="pe-ca", title_es="Tratado de Libre Comercio Perú - Canadá")
    output = tmp_path / "agreements.csv"
    run("export_csv", "agreements", "--output", str(output))
    data = output.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfslug,title_en,title_es,")
    assert "Perú - Canadá".encode() in data


def test_export_csv_writes_to_standard_output_by_default():
    AgreementFactory(slug="pe-ca")
    out, _ = run("export_csv", "agreements")
    assert out.splitlines()[1].startswith("pe-ca,")


def test_the_demo_loads_and_loading_it_again_changes_nothing():
    out, _ = run("load_demo")
    assert Directorate.objects.count() >= 12
    assert Agreement.objects.count() >= 45
    assert Event.objects.count() >= 35
    history = Version.objects.count()
    records = sum(Version.objects.get_for_model(model).count() for model in (Directorate, Agreement, Event))
    # A revision of each record, and another of each agreement the steps and participants files change.
    with_parts = Agreement.objects.filter(steps__isnull=False).distinct().count() + (
        Agreement.objects.filter(participants__isnull=False).distinct().count()
    )
    assert with_parts >= 8
    assert records == Directorate.objects.count() + Agreement.objects.count() + Event.objects.count() + with_parts
    last_change = max(Agreement.objects.values_list("updated_at", flat=True))
    run("load_demo")
    assert Version.objects.count() == history
    assert max(Agreement.objects.values_list("updated_at", flat=True)) == last_change


def test_the_demo_is_not_loaded_over_existing_records_when_asked_so():
    AgreementFactory(slug="andean-community", title_en="Edited by staff")
    out, _ = run("load_demo", "--if-empty")
    assert "not loaded again" in out
    assert Agreement.objects.get().title_en == "Edited by staff"


def test_the_demo_holds_the_seeds_content_in_both_languages():
    run("load_demo")
    opm = Directorate.objects.get(acronym="OPM")
    assert opm.parent.name_es == "Dirección General para Asuntos Multilaterales y Globales"
    assert Agreement.objects.filter(type__slug="strategic-partnership").count() == 11
    assert set(Agreement.objects.values_list("status", flat=True)) == {
        "in_force",
        "signed",
        "under_negotiation",
        "terminated",
    }
    tpp = Agreement.objects.get(short_title="TPP-11")
    assert tpp.countries.count() == 10
    assert Event.objects.filter(title_en__contains="IPCC").exists()
    for model in (Directorate, Agreement, Event):
        field = "name" if model is Directorate else "title"
        assert not model.objects.filter(**{f"{field}_en": ""}).exists()
        assert not model.objects.filter(**{f"{field}_es": ""}).exists()


def test_create_demo_admin_makes_a_random_password_never_a_fixed_one(settings, tmp_path):
    from django.contrib.auth import get_user_model

    settings.BASE_DIR = tmp_path
    out, _ = run("create_demo_admin")
    (kept,) = (tmp_path / "var").glob("admin-password*.txt")
    password = kept.read_text().strip()
    assert len(password) >= 12
    assert f"password “{password}”" in out
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert run("create_demo_admin")[0] == out  # the same, run again


def test_each_database_keeps_its_own_demo_password_and_a_stale_one_is_never_printed(settings, tmp_path, monkeypatch):
    from django.contrib.auth import get_user_model

    from foreignpolicy.management.commands import create_demo_admin

    settings.BASE_DIR = tmp_path
    run("create_demo_admin")
    other = {**settings.DATABASES["default"], "NAME": "other", "HOST": "db.example"}
    monkeypatch.setitem(settings.DATABASES, "default", other)
    monkeypatch.setattr(create_demo_admin.connection, "vendor", "postgresql")
    assert create_demo_admin.password_file().name == "admin-password-postgresql-db.example-other.txt"
    # That database's admin was made with another password: this one's file is not read.
    out, _ = run("create_demo_admin")
    assert out.strip() == "User “admin” exists; set a new password with: python manage.py changepassword admin"
    monkeypatch.undo()
    user = get_user_model().objects.get(username="admin")
    user.set_password("changed by hand")
    user.save()
    assert "password “" not in run("create_demo_admin")[0]


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ({"LANG": "es_PE.UTF-8"}, "es"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "es_ES", "LC_ALL": "en_GB"}, "en"),
        ({"LANG": "fr_FR"}, "en"),
    ],
)
def test_command_output_follows_the_operators_locale_english_by_default(monkeypatch, locale, language):
    from foreignpolicy.management.base import operator_language

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in locale.items():
        monkeypatch.setenv(name, value)
    assert operator_language() == language


class Terminal(StringIO):
    def isatty(self):
        return True


def test_a_large_import_shows_a_progress_bar_at_a_terminal(tmp_path):
    rows = "".join(f"a{n},A{n},Acuerdo marco,in_force\n" for n in range(1200))
    path = write(tmp_path, "big.csv", "slug,title_en,type,status\n" + rows)
    terminal = Terminal()
    call_command("import_csv", "agreements", str(path), "--language", "en", stdout=StringIO(), stderr=terminal)
    assert "Checking rows [" in terminal.getvalue()
    assert "] 1200/1200\n" in terminal.getvalue()
    quiet = StringIO()
    call_command("import_csv", "agreements", str(path), "--language", "en", stdout=StringIO(), stderr=quiet)
    assert quiet.getvalue() == ""
    exported = Terminal()
    call_command("export_csv", "agreements", "--output", str(tmp_path / "out.csv"), stderr=exported)
    assert "1200/1200" in exported.getvalue()


def test_excel_files_go_in_and_out_by_their_extension(tmp_path):
    from openpyxl import Workbook, load_workbook

    workbook = Workbook()
    workbook.active.append(["slug", "title_es", "type", "status", "signed_on", "summary_en"])
    workbook.active.append(["pe-ca", "TLC Perú-Canadá", "Tratado de libre comercio", "Vigente", "29/05/2008", "'=1+1"])
    workbook.save(tmp_path / "acuerdos.xlsx")
    out, _ = run("import_csv", "agreements", str(tmp_path / "acuerdos.xlsx"), "--language", "en")
    assert out.strip() == "acuerdos.xlsx: 1 created, 0 updated, 0 unchanged; 1 of them is a draft."
    agreement = Agreement.objects.get()
    assert (agreement.title_es, agreement.signed_on.isoformat(), agreement.summary_en) == (
        "TLC Perú-Canadá",
        "2008-05-29",
        "=1+1",
    )
    run("export_csv", "agreements", "--output", str(tmp_path / "export.xlsx"))
    sheet = load_workbook(tmp_path / "export.xlsx").worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("slug", "title_en", "title_es")
    assert rows[1][rows[0].index("summary_en")] == "'=1+1"
    assert rows[1][rows[0].index("signed_on")] == "2008-05-29"
