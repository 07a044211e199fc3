import csv
import io
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from reversion.models import Version

from agreements.models import Agreement
from foreignpolicy.models import FileJob, ImportRecord
from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db

GOOD = "slug,title_en,title_es,type,status,parties,signed_on,published\n"
GOOD += "pe-ca,Peru-Canada FTA,TLC Perú-Canadá,Tratado de libre comercio,Vigente,CA,29/05/2008,sí\n"
GOOD += "pe-cl,Peru-Chile FTA,,free-trade-agreement,in_force,CL,2006-08-22,yes\n"
IMPORT = reverse("admin:agreements_agreement_import")
EXPORT = reverse("admin:agreements_agreement_export")
CHANGELIST = reverse("admin:agreements_agreement_changelist")


@pytest.fixture(autouse=True)
def english_admin(settings):
    settings.LANGUAGE_CODE = "en"


def upload(client, text, name="agreements.csv", encoding="utf-8", **kwargs):
    """Upload a file and follow to the page of its preview."""
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return client.post(IMPORT, {"import_file": SimpleUploadedFile(name, data)}, follow=True, **kwargs)


def confirm_url(job):
    return reverse("admin:agreements_agreement_job_confirm", args=[job.pk])


def kinds(job):
    return [(number, kind) for number, kind, _record, _changes in job.result["rows"]]


def kept_files():
    return [job for job in FileJob.objects.all() if bytes(job.data)]


def test_the_preview_marks_every_row_and_writes_nothing(admin_client):
    AgreementFactory(slug="pe-cl", title_en="Old title", title_es="Título", signed_on="2006-08-22", is_published=True)
    AgreementFactory(slug="other")
    response = upload(admin_client, GOOD)
    assert response.status_code == 200
    job = response.context["job"]
    assert response.redirect_chain == [(reverse("admin:agreements_agreement_job", args=[job.pk]), 302)]
    assert kinds(job) == [(2, "new"), (3, "update")]
    assert job.result["rows"][1][3] == [
        ["title_en", "Old title", "Peru-Chile FTA"],
        ["title_es", "Título", ""],
        ["parties", "", "CL"],
    ]
    page = response.content.decode()
    assert "Preview: 1 created, 1 updated, 0 unchanged" in page
    assert "Old title → Peru-Chile FTA" in page
    assert "Confirm import" in page
    assert Agreement.objects.get(slug="pe-cl").title_en == "Old title"
    assert not Agreement.objects.filter(slug="pe-ca").exists()


def test_confirming_writes_what_the_preview_showed_and_records_the_import(admin_client, admin_user):
    job = upload(admin_client, GOOD).context["job"]
    response = admin_client.post(confirm_url(job))
    assert response.status_code == 302 and response.url == CHANGELIST
    assert set(Agreement.objects.values_list("slug", flat=True)) == {"pe-ca", "pe-cl"}
    record = ImportRecord.objects.get()
    assert (record.user, record.file_name, record.created, record.updated) == (admin_user, "agreements.csv", 2, 0)
    assert Version.objects.filter(revision__source__import_record=record).count() == 2
    assert FileJob.objects.get(action="confirm").record == record
    assert not kept_files()
    assert admin_client.get(reverse("admin:foreignpolicy_importrecord_changelist")).status_code == 200


def test_a_preview_can_be_confirmed_once_and_only_by_its_uploader(admin_client, client, django_user_model):
    job = upload(admin_client, GOOD).context["job"]
    other = django_user_model.objects.create_superuser("other", password="x")
    client.force_login(other)
    assert client.get(reverse("admin:agreements_agreement_job", args=[job.pk])).status_code == 404
    response = client.post(confirm_url(job), follow=True)
    assert "This preview has expired or was already confirmed." in response.content.decode()
    assert not Agreement.objects.exists()
    admin_client.post(confirm_url(job))
    assert Agreement.objects.count() == 2
    response = admin_client.post(confirm_url(job), follow=True)
    assert "already confirmed" in response.content.decode()
    assert (
        "Confirm import"
        not in admin_client.get(reverse("admin:agreements_agreement_job", args=[job.pk])).content.decode()
    )


def test_records_changed_after_the_preview_stop_the_confirmation(admin_client):
    AgreementFactory(slug="pe-cl", title_en="Old title")
    job = upload(admin_client, GOOD).context["job"]
    Agreement.objects.filter(slug="pe-cl").update(title_en="Edited meanwhile")
    response = admin_client.post(confirm_url(job), follow=True)
    page = response.content.decode()
    assert "The records changed after the preview, so nothing was written." in page
    assert "Upload the corrected file" in page
    assert not Agreement.objects.filter(slug="pe-ca").exists()
    assert not ImportRecord.objects.exists()


def test_a_file_with_problems_lists_each_row_and_column_and_cannot_be_confirmed(admin_client):
    bad = GOOD + "bad,Bad,,Tratado raro,Vigentes,Narnia,31/02/2010,yes\n"
    response = upload(admin_client, bad)
    page = response.content.decode()
    assert "The file has 4 problems; nothing was imported." in page
    assert "Not a known agreement type: “Tratado raro”." in page
    assert "“31/02/2010” is not a real date: that month has 28 days." in page
    assert "Confirm import" not in page
    assert not response.context["job"].can_be_confirmed()
    assert not kept_files()
    response = admin_client.post(confirm_url(response.context["job"]), follow=True)
    assert "This preview has expired or was already confirmed." in response.content.decode()
    assert not Agreement.objects.exists()


def test_problems_are_reported_in_the_staff_members_language(admin_client):
    response = upload(
        admin_client, "title_en,type,status\nX,Acuerdo marco,Vigentes\n", headers={"accept-language": "es"}
    )
    assert "No se reconoce como estado de acuerdo: «Vigentes»." in response.content.decode()


def test_an_excel_file_is_previewed_like_a_csv(admin_client):
    from openpyxl import Workbook

    workbook = Workbook()
    for line in csv.reader(io.StringIO(GOOD)):
        workbook.active.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(admin_client, buffer.getvalue(), name="Acuerdos.xlsx")
    assert kinds(response.context["job"]) == [(2, "new"), (3, "new")]


def test_a_windows_1252_semicolon_file_is_previewed(admin_client):
    text = "title_es;type;status\r\nTratado con Canadá;Tratado de libre comercio;Vigente\r\n"
    response = upload(admin_client, text, encoding="cp1252")
    assert response.context["job"].result["rows"][0][2] == "Tratado con Canadá"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "picture.csv", "This is not a text file"),
        (b"", "empty.csv", "The submitted file is empty."),
        (b"slug,title_en\n", "header.csv", "The file has a header row but no rows of data."),
        (b"a,b", "notes.txt", "Only .csv and .xlsx files can be imported."),
        (b"not excel", "book.xlsx", "This file holds text (such as CSV), although its name ends in .xlsx."),
    ],
)
def test_unreadable_files_get_a_clear_reason_on_the_form(admin_client, data, name, message):
    response = upload(admin_client, data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not kept_files()


def test_files_over_the_size_limit_are_refused_with_the_limit(admin_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    response = upload(admin_client, GOOD * 2)
    assert "files of up to 100\xa0bytes can be imported" in response.content.decode()
    assert not FileJob.objects.exists()


def test_the_export_holds_the_filtered_changelist_in_the_documented_format(admin_client):
    AgreementFactory(slug="a-in-force", summary_en='=HYPERLINK("http://x")')
    AgreementFactory(slug="b-signed", status_id="signed")
    response = admin_client.post(EXPORT + "?status__code__exact=in_force", {"format": 0, "resource": 0})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert [row["slug"] for row in rows] == ["a-in-force"]
    assert rows[0]["summary_en"] == '\'=HYPERLINK("http://x")'
    assert list(rows[0]) == [
        "slug",
        "title_en",
        "title_es",
        "short_title",
        "type",
        "status",
        "parties",
        "directorate",
        "topics",
        "signed_on",
        "in_force_on",
        "ended_on",
        "relations",
        "summary_en",
        "summary_es",
        "source_url",
        "depositary_en",
        "depositary_es",
        "unts_number",
        "wto_rta_id",
        "aladi_number",
        "archive_code",
        "published",
        "publish_at",
    ]


def test_the_export_can_be_excel(admin_client):
    from openpyxl import load_workbook

    AgreementFactory(slug="pe-ca")
    response = admin_client.post(EXPORT, {"format": 1, "resource": 0})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["slug", "pe-ca"]


def staff(django_user_model, *codenames):
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.parametrize(
    ("permissions", "list_status", "import_status", "export_status"),
    [
        ((), 403, 403, 403),
        (("view_agreement",), 200, 403, 403),
        (("view_agreement", "export_agreement"), 200, 403, 200),
        (("view_agreement", "change_agreement", "add_agreement"), 200, 403, 403),
        (("view_agreement", "change_agreement", "add_agreement", "import_agreement"), 200, 200, 403),
        (("import_agreement",), 403, 403, 403),
    ],
)
def test_import_and_export_need_their_own_permissions(
    client, django_user_model, permissions, list_status, import_status, export_status
):
    client.force_login(staff(django_user_model, *permissions))
    unknown = uuid.uuid4()
    assert client.get(CHANGELIST).status_code == list_status
    assert client.get(IMPORT).status_code == import_status
    assert client.post(reverse("admin:agreements_agreement_job_confirm", args=[unknown])).status_code == (
        403 if import_status == 403 else 302
    )
    assert client.get(EXPORT).status_code == export_status
    job_status = 403 if import_status == export_status == 403 else 404
    assert client.get(reverse("admin:agreements_agreement_job", args=[unknown])).status_code == job_status
    download = reverse("admin:agreements_agreement_job_download", args=[unknown])
    assert client.get(download).status_code == (403 if export_status == 403 else 404)
    if list_status == 200:
        page = client.get(CHANGELIST).content.decode()
        assert (IMPORT in page) is (import_status == 200)
        assert (EXPORT in page) is (export_status == 200)


def test_anonymous_visitors_and_superusers(client, admin_client):
    for address in (IMPORT, EXPORT):
        assert client.get(address).status_code == 302
        assert admin_client.get(address).status_code == 200


def test_the_change_history_links_each_import_to_its_record(admin_client):
    admin_client.post(confirm_url(upload(admin_client, GOOD).context["job"]))
    record = ImportRecord.objects.get()
    agreement = Agreement.objects.get(slug="pe-ca")
    page = admin_client.get(reverse("admin:agreements_agreement_history", args=[agreement.pk])).content.decode()
    link = reverse("admin:foreignpolicy_importrecord_change", args=[record.pk])
    assert f'<a href="{link}">Import #{record.pk} of agreements.csv</a>' in page
    assert admin_client.get(link).status_code == 200


def test_abandoned_previews_are_deleted_after_a_day(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    job = upload(admin_client, GOOD).context["job"]
    FileJob.objects.update(created_at=timezone.now() - timedelta(days=2))
    response = admin_client.post(confirm_url(job), follow=True)
    assert "This preview has expired or was already confirmed." in response.content.decode()
    upload(admin_client, GOOD)
    assert FileJob.objects.count() == 1
    assert not Agreement.objects.exists()
