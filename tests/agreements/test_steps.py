"""An agreement's steps: the steps file through the one pipeline, the dates they set,
the agreement's page and the timeline."""

import re
from datetime import date
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from reversion.models import Version

from agreements.models import Agreement, StepKind
from foreignpolicy.imports.undo import undo_import
from foreignpolicy.models import FileJob
from foreignpolicy.partial_dates import Precision
from foreignpolicy.registry import resource_for_import
from tests.factories import AgreementFactory, EventFactory, ParticipantFactory, StepFactory
from tests.foreignpolicy.test_revisions import edit
from tests.helpers import csv_text, page_slugs, problems, url
from tests.helpers import history as revision_history

pytestmark = pytest.mark.django_db

HEADER = "agreement,kind,date,reference,url,note_en,note_es"


@pytest.fixture
def fta():
    return AgreementFactory(slug="pe-cl", title_en="Peru-Chile FTA", signed_on=date(2006, 8, 22), in_force_on=None)


def steps_of(agreement):
    return [(step.kind.slug, step.when.isoformat(), step.reference) for step in agreement.steps.select_related("kind")]


def export(kind):
    out = StringIO()
    call_command("export_csv", kind, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_each_bad_line_is_named_by_its_line_and_column_and_nothing_is_written(import_csv, fta):
    result = import_csv(
        "steps",
        csv_text(
            HEADER,
            "pe-cl,signature,2006-08-22,,,,",
            "pe-cl,handshake,2007,,,,",
            "pe-cl,ratification,soon,,,,",
            "pe-cl,ratification,2008,,not-an-address,,",
            "pe-cl,,2008,,,,",
            "pe-cl,signature,2006-08-22,,,,",
            "nowhere,signature,2006,,,,",
            ",signature,2006,,,,",
        ),
    )
    assert problems(result) == [
        "Row 3, column “kind”: Not a known kind of step: “handshake”.",
        "Row 4, column “date”: “soon” is not a date; write it as YYYY, YYYY-MM, YYYY-MM-DD, MM/YYYY or DD/MM/YYYY.",
        "Row 5, column “url”: Enter a valid URL.",
        "Row 6, column “kind”: A value is required here.",
        "Row 7, column “kind”: Line 2 gives this already for “pe-cl”; each may appear once.",
        "Row 8, column “agreement”: No agreement has the slug “nowhere”.",
        "Row 9, column “agreement”: Name the record by its slug.",
    ]
    assert steps_of(fta) == []


def test_a_steps_file_sets_the_dates_it_marks_keeps_publication_and_reads_spellings(import_csv, fta):
    draft = AgreementFactory(slug="draft-pact", is_published=False, signed_on=None)
    result = import_csv(
        "steps",
        csv_text(
            HEADER,
            "pe-cl,Suscripción,2006-08-22,,,,",
            "pe-cl,Resolución Legislativa,2008-02,Resolución Legislativa N° 29000,https://example.org/rl,,",
            "pe-cl,entrada en vigencia,2009-03-01,,,,",
            "draft-pact,signature,2010,,,,",
        ),
    )
    assert problems(result) == [] and result.summary().startswith("0 created, 2 updated")
    fta.refresh_from_db()
    draft.refresh_from_db()
    assert steps_of(fta) == [
        ("signature", "2006-08-22", ""),
        ("congressional-approval", "2008-02", "Resolución Legislativa N° 29000"),
        ("entry-into-force", "2009-03-01", ""),
    ]
    assert (fta.in_force_on, fta.is_published) == (date(2009, 3, 1), True)
    assert (draft.signed_on, draft.signed_on_precision, draft.is_published) == (date(2010, 1, 1), Precision.YEAR, False)


def test_the_export_imports_again_unchanged_and_byte_for_byte(import_csv, fta):
    StepFactory(
        agreement=fta,
        kind=StepKind.objects.get(slug="ratification"),
        date=date(2008, 3, 4),
        note_es="Con “comillas”, y comas",
    )
    StepFactory(
        agreement=fta,
        kind=StepKind.objects.get(slug="negotiations-launched"),
        date=date(2004, 1, 1),
        date_precision=Precision.YEAR,
    )
    exported = export("steps")
    assert exported.splitlines()[1:] == [
        "pe-cl,negotiations-launched,2004,,,,",
        'pe-cl,ratification,2008-03-04,,,,"Con “comillas”, y comas"',
    ]
    result = import_csv("steps", exported)
    assert problems(result) == [] and result.summary().startswith("0 created, 0 updated, 1 unchanged")
    assert export("steps") == exported


def test_a_file_gives_the_whole_list_of_the_agreements_it_names_only(import_csv, fta):
    other = AgreementFactory(slug="other")
    StepFactory(agreement=fta)
    StepFactory(agreement=other)
    assert problems(import_csv("steps", csv_text(HEADER, "pe-cl,,,,,,"))) == []
    assert steps_of(fta) == [] and len(steps_of(other)) == 1


def test_an_agreements_file_may_not_contradict_the_step_that_gives_a_date(import_csv, fta):
    StepFactory(agreement=fta, kind=StepKind.objects.get(slug="signature"), date=date(2006, 8, 22))
    header = "slug,title_en,type,status,signed_on"
    refused = import_csv(
        "agreements", csv_text(header, "pe-cl,Peru-Chile FTA,free-trade-agreement,in_force,2006-08-23")
    )
    assert problems(refused) == [
        "Row 2, column “signed_on”: The agreement's step “Signature” of 2006-08-22 gives this date: change the step "
        "(in the steps file or the admin), not the date."
    ]
    same = import_csv("agreements", csv_text(header, "pe-cl,Peru-Chile FTA,free-trade-agreement,in_force,2006-08-22"))
    assert problems(same) == []


def test_undoing_a_steps_import_restores_the_steps_and_the_dates_before_it(import_csv, admin_user, fta):
    StepFactory(agreement=fta, kind=StepKind.objects.get(slug="ratification"), date=date(2008, 3, 4))
    imported = import_csv("steps", csv_text(HEADER, "pe-cl,signature,2006-09,,,,"))
    fta.refresh_from_db()
    assert (fta.signed_on, fta.signed_on_precision) == (date(2006, 9, 1), Precision.MONTH)
    undone = undo_import(imported.record, admin_user, resource_for_import(imported.record))
    assert undone.problems == []
    fta.refresh_from_db()
    assert (fta.signed_on, fta.signed_on_precision) == (date(2006, 8, 22), Precision.DAY)
    assert steps_of(fta) == [("ratification", "2008-03-04", "")]


def test_the_admin_previews_a_steps_file_then_writes_it(admin_client, fta):
    data = csv_text(HEADER, "pe-cl,ratification,2008-03-04,D.S. N° 010-2008-RE,,,").encode()
    page = admin_client.post(
        reverse("admin:agreements_agreement_import"),
        {"kind": "steps", "import_file": SimpleUploadedFile("pasos.csv", data)},
        follow=True,
    )
    job = page.context["job"]
    assert [row[1] for row in job.result["rows"]] == ["update"]
    assert job.result["rows"][0][3] == [["steps", "", "ratification · 2008-03-04 · D.S. N° 010-2008-RE"]]
    assert steps_of(fta) == []
    admin_client.post(reverse("admin:agreements_agreement_job_confirm", args=[job.pk]))
    assert steps_of(fta) == [("ratification", "2008-03-04", "D.S. N° 010-2008-RE")]


def test_the_agreement_page_lists_the_steps_with_their_references_and_the_dates_no_step_marks(client, fta):
    StepFactory(
        agreement=fta,
        kind=StepKind.objects.get(slug="congressional-approval"),
        date=date(2008, 2, 1),
        date_precision=Precision.MONTH,
        reference="Resolución Legislativa N° 29000",
        url="https://example.org/rl-29000",
        note_en="Approved by the plenary",
        note_es="Aprobado por el Pleno",
    )
    english = client.get(url("agreements:detail", slug="pe-cl")).content.decode()
    assert [entry[:2] for entry in history(english)] == [
        ("22 August 2006", "Signed"),
        ("February 2008", "Approval by Congress"),
    ]
    assert '<a href="https://example.org/rl-29000" rel="external">Resolución Legislativa N° 29000</a>' in english
    assert "Approved by the plenary" in english
    spanish = client.get(url("agreements:detail", "es", slug="pe-cl")).content.decode()
    assert "Aprobación por el Congreso" in spanish and "Aprobado por el Pleno" in spanish


def history(page):
    section = page[page.index('id="history"') : page.index("</ol>", page.index('id="history"'))]
    return re.findall(r'<span class="when">([^<]+)</span> — <strong>([^<]+)</strong>', section)


def test_the_timeline_shows_the_steps_that_mark_no_date_once(client, fta):
    StepFactory(agreement=fta, kind=StepKind.objects.get(slug="ratification"), date=date(2008, 3, 4))
    StepFactory(agreement=fta, kind=StepKind.objects.get(slug="signature"), date=date(2006, 8, 22))
    draft = AgreementFactory(slug="draft-pact", is_published=False)
    StepFactory(agreement=draft, date=date(2008, 5, 1))
    response = client.get(url("events:list"), {"year": 2008})
    assert [(entry.title, entry.label) for _, group in response.context["months"] for entry in group] == [
        ("Peru-Chile FTA", "Ratification")
    ]
    assert response.context["years"] == [2008, 2006]
    # An event linked to the agreement on that day is the step.
    event = EventFactory(title_en="Peru ratifies the FTA", date=date(2008, 3, 4))
    event.agreements.add(fta)
    response = client.get(url("events:list"), {"year": 2008, "page": 1})  # another address: not the cached page
    assert [entry.title for _, group in response.context["months"] for entry in group] == ["Peru ratifies the FTA"]


@pytest.mark.parametrize("count", [2, 20])
def test_the_agreement_page_runs_as_many_queries_however_many_steps_and_parties(
    client, django_assert_num_queries, count
):
    agreement = AgreementFactory(slug="many")
    for day in range(1, count + 1):
        StepFactory(agreement=agreement, date=date(2010, 1, day))
    ParticipantFactory.create_batch(count, agreement=agreement, consent_on=date(2011, 1, 1))
    with django_assert_num_queries(10):
        page = client.get(url("agreements:detail", slug="many"), {"participants": "consent"})
    assert page.content.decode().count('<th scope="row">') == count
    assert Agreement.objects.get(slug="many").steps.count() == count


def test_a_step_entered_in_the_admin_sets_the_date_it_marks(admin_client, fta):
    edit(admin_client, fta)  # a first revision, without steps
    signature = StepKind.objects.get(slug="signature")
    step = {"steps-TOTAL_FORMS": "1", "steps-0-kind": signature.pk, "steps-0-date": "2006-08-01"}
    response = edit(admin_client, fta, **step, **{"steps-0-date_precision": "month"})
    assert (fta.signed_on, fta.signed_on_precision) == (date(2006, 8, 1), Precision.MONTH)
    assert "The dates the steps mark were set from them." in [
        str(message) for message in get_messages(response.wsgi_request)
    ]
    assert steps_of(fta) == [("signature", "2006-08", "")]
    # The revision keeps the steps as the form's inline saved them.
    assert revision_history(admin_client, fta)[0][2] == "Fecha de suscripción, Pasos"


def test_the_agreements_import_page_offers_each_kind_of_file_and_its_template(admin_client):
    page = admin_client.get(reverse("admin:agreements_agreement_import")).content.decode()
    assert '<select name="kind"' in page
    assert (
        '<option value="steps">pasos</option>' in page and '<option value="participants">participantes</option>' in page
    )
    template = reverse("admin:agreements_agreement_import_template")
    assert f'href="{template}?kind=steps" download' in page
    assert "<code>agreement, kind, date, reference, url, note_en, note_es</code>" in page
    assert "Un archivo de pasos da, para cada acuerdo que nombra, su lista completa" in page


def test_the_history_shows_what_a_steps_file_changed_and_a_restore_brings_the_steps_back(
    import_csv, admin_client, admin_user, fta
):
    import_csv("steps", csv_text(HEADER, "pe-cl,ratification,2008-03-04,D.S. N° 010-2008-RE,,,"))
    import_csv("steps", csv_text(HEADER, "pe-cl,signature,2006-08,,,,", "pe-cl,ratification,2008-03-04,,,,"))
    fta.refresh_from_db()
    assert (fta.signed_on_precision, len(steps_of(fta))) == (Precision.MONTH, 2)
    rows = revision_history(admin_client, fta)
    assert rows[0][1].endswith(" de steps.csv")
    assert [row[2] for row in rows] == ["Fecha de suscripción, Pasos", "Primera revisión"]
    first_import, second_import = Version.objects.get_for_object(fta).order_by("pk")
    compared = admin_client.get(
        reverse("admin:agreements_agreement_compare", args=[fta.pk]), {"revision": [first_import.pk, second_import.pk]}
    ).content.decode()
    assert "Suscripción · agosto de 2006" in compared
    assert "Ratificación · 4 de marzo de 2008 · D.S. N° 010-2008-RE" in compared  # removed: its reference is gone
    admin_client.post(reverse("admin:agreements_agreement_restore", args=[fta.pk, first_import.pk]))
    fta.refresh_from_db()
    assert steps_of(fta) == [("ratification", "2008-03-04", "D.S. N° 010-2008-RE")]
    assert (fta.signed_on, fta.signed_on_precision) == (date(2006, 8, 22), Precision.DAY)


def test_the_references_of_the_steps_find_the_agreement(import_csv, admin_client, client, fta):
    AgreementFactory(slug="other", title_en="Other pact")
    import_csv("steps", csv_text(HEADER, "pe-cl,congressional-approval,2008-02,Resolución Legislativa N° 29000,,,"))
    assert page_slugs(client.get(url("agreements:list"), {"q": "resolucion legislativa 29000"})) == ["pe-cl"]
    # Another file of the agreements keeps them searchable; an edit of the steps in the admin, too.
    header = "slug,title_en,type,status,published"
    import_csv("agreements", csv_text(header, "pe-cl,Peru-Chile FTA (2006),free-trade-agreement,in_force,yes"))
    assert page_slugs(client.get(url("agreements:list"), {"q": "29000", "page": 1})) == ["pe-cl"]
    step = fta.steps.get()
    edit(
        admin_client,
        fta,
        **{"steps-0-reference": "Resolución Legislativa N° 29111", "steps-0-id": step.pk, "steps-0-agreement": fta.pk},
    )
    assert page_slugs(client.get(url("agreements:list"), {"q": "29111"})) == ["pe-cl"]
    assert page_slugs(client.get(url("agreements:list"), {"q": "29000", "page": 2})) == []


@pytest.mark.parametrize("inline", [True, False])
def test_the_admins_export_of_steps_holds_those_of_the_filtered_agreements(
    admin_client, settings, django_capture_on_commit_callbacks, fta, inline
):
    settings.EXPORT_INLINE_MAX_ROWS = 100 if inline else 0
    StepFactory(agreement=fta, date=date(2008, 3, 4))
    StepFactory(agreement=AgreementFactory(slug="signed-only", status_id="signed"), date=date(2009, 1, 1))
    export_page = reverse("admin:agreements_agreement_export") + "?status__code__exact=in_force"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(export_page, {"format": 0, "resource": 1})  # the second resource: steps
    if not inline:
        job = FileJob.objects.get(action=FileJob.Action.EXPORT)
        response = admin_client.get(reverse("admin:agreements_agreement_job_download", args=[job.pk]))
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    assert text.splitlines() == [HEADER, "pe-cl,ratification,2008-03-04,,,,"]


def test_a_steps_cell_in_the_plans_own_form_that_is_not_one_is_named(import_csv, fta):
    result = import_csv("steps", csv_text("slug,steps", "pe-cl,signed in 2006"))
    assert problems(result) == ["Row 2, column “steps”: “signed in 2006” is not a part as a parts file writes it."]


def test_a_restore_leaves_out_the_steps_whose_kind_was_deleted_since_and_says_so(import_csv, admin_client, fta):
    vote = StepKind.objects.create(slug="plenary-vote", name_en="Plenary vote", name_es="Votación en el Pleno")
    import_csv("steps", csv_text(HEADER, "pe-cl,plenary-vote,2008-01,,,,", "pe-cl,ratification,2008-03-04,,,,"))
    import_csv("steps", csv_text(HEADER, "pe-cl,ratification,2008-03-04,,,,"))
    vote.delete()
    first_import = Version.objects.get_for_object(fta).order_by("pk").first()
    response = admin_client.post(
        reverse("admin:agreements_agreement_restore", args=[fta.pk, first_import.pk]), follow=True
    )
    assert "Pasos: se omiten 1, porque nombran entradas eliminadas desde entonces." in [
        str(message) for message in get_messages(response.wsgi_request)
    ]
    assert steps_of(fta) == [("ratification", "2008-03-04", "")]
