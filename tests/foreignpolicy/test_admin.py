import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from agreements.models import AgreementStatus
from directorates.models import Directorate
from events.models import Event
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "directorates_directorate",
    "agreements_agreement",
    "agreements_agreementtype",
    "agreements_agreementstatus",
    "events_event",
    "events_eventtype",
    "foreignpolicy_topic",
    "foreignpolicy_organisation",
    "foreignpolicy_country",
]


@pytest.fixture(autouse=True)
def english_admin(settings):
    """Staff whose browser asks for no language get the default; these tests read English."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def records():
    parent = DirectorateFactory(slug="dg")
    directorate = DirectorateFactory(parent=parent, acronym="OPM")
    agreement = AgreementFactory(directorate=directorate)
    event = EventFactory()
    event.agreements.add(agreement)
    return {"directorate": directorate, "agreement": agreement, "event": event}


@pytest.mark.parametrize("model", MODELS)
def test_every_admin_list_renders_for_staff(admin_client, records, model):
    response = admin_client.get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_anonymous_visitors_are_sent_to_the_login(client, model):
    response = client.get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", ["directorate", "agreement", "event"])
def test_the_add_and_change_pages_render_with_both_languages_side_by_side(admin_client, records, name):
    record = records[name]
    label = f"{record._meta.app_label}_{record._meta.model_name}"
    for url in (reverse(f"admin:{label}_add"), reverse(f"admin:{label}_change", args=[record.pk])):
        response = admin_client.get(url)
        assert response.status_code == 200
        content = response.content.decode()
        title = "name" if name == "directorate" else "title"
        assert f'name="{title}_es"' in content and f'name="{title}_en"' in content


def test_the_admin_speaks_the_staff_members_language(admin_client, records):
    response = admin_client.get(reverse("admin:agreements_agreement_changelist"), headers={"accept-language": "es"})
    assert "Seleccione acuerdo a modificar" in response.content.decode()
    response = admin_client.get(reverse("admin:agreements_agreement_changelist"), headers={"accept-language": "en"})
    assert "Select agreement to change" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "header", "title"),
    [
        (
            "es",
            "Ministerio de Relaciones Exteriores del Perú",
            "Ministerio de Relaciones Exteriores del Perú: administración",
        ),
        ("en", "Ministry of Foreign Affairs of Peru", "Ministry of Foreign Affairs of Peru: administration"),
    ],
)
def test_the_admin_names_the_ministry_in_the_staff_members_language(admin_client, language, header, title):
    page = admin_client.get(reverse("admin:index"), headers={"accept-language": language}).content.decode()
    assert f'<div id="site-name"><a href="/admin/">{header}</a></div>' in page
    assert f"<title>{'Contenido' if language == 'es' else 'Content'} | {title}</title>" in page


def test_search_finds_records_by_their_spanish_or_english_title(admin_client):
    AgreementFactory(title_en="Peru-Canada FTA", title_es="TLC Perú-Canadá")
    AgreementFactory(title_en="Other", title_es="Otro")
    url = reverse("admin:agreements_agreement_changelist")
    for query in ("Canadá", "Canada FTA"):
        response = admin_client.get(url, {"q": query})
        assert response.context["cl"].result_count == 1


def test_the_list_filters_by_status_type_directorate_and_published(admin_client, records):
    url = reverse("admin:agreements_agreement_changelist")
    assert admin_client.get(url, {"status__code__exact": "in_force"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"status__code__exact": "signed"}).context["cl"].result_count == 0
    assert admin_client.get(url, {"is_published__exact": "0"}).context["cl"].result_count == 0
    assert admin_client.get(url, {"directorate__id__exact": records["directorate"].pk}).context["cl"].result_count == 1


def test_statuses_cannot_be_added_or_deleted_only_renamed(admin_client):
    assert admin_client.get(reverse("admin:agreements_agreementstatus_add")).status_code == 403
    status = AgreementStatus.objects.get(code="in_force")
    page = admin_client.get(reverse("admin:agreements_agreementstatus_change", args=[status.pk]))
    assert 'name="code"' not in page.content.decode()
    assert 'name="name_es"' in page.content.decode()


def test_a_directorate_cannot_be_made_part_of_its_own_sub_unit(admin_client):
    top = DirectorateFactory(slug="top")
    child = DirectorateFactory(slug="child", parent=top)
    url = reverse("admin:directorates_directorate_change", args=[top.pk])
    response = admin_client.post(
        url, {"name_en": "Top", "name_es": "Top", "slug": "top", "parent": child.pk, "position": 0}
    )
    assert response.status_code == 200
    assert "This would make the directorate part of itself." in response.content.decode()
    assert Directorate.objects.get(pk=top.pk).parent is None


def test_staff_without_rights_see_no_records(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:events_event_changelist")).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_event"))
    EventFactory()
    response = client.get(reverse("admin:events_event_changelist"))
    assert response.status_code == 200
    assert Event.objects.count() == response.context["cl"].result_count


def test_an_empty_slug_is_made_from_the_title_as_an_import_would(admin_client):
    url = reverse("admin:events_event_add")
    data = {"title_es": "Cumbre de las Américas", "date": "2018-04-13", "date_precision": "day"}
    data.update(type=EventFactory.build().type.pk, end_date_precision="day")
    assert 'id="id_slug"' in admin_client.get(url).content.decode()
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Event.objects.get().slug == "cumbre-de-las-americas"
    admin_client.post(url, {**data, "title_es": "Reunión Perú–Chile"})
    assert Event.objects.filter(slug="reunion-peru-chile").exists()
    response = admin_client.post(url, data)
    assert "“cumbre-de-las-americas” is the slug of another record; choose another." in response.content.decode()


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("title_en", '<img/src="x"/onerror=alert(2)>', 'The text holds HTML (“<img/src="x"/onerror=alert(2)>”)'),
        ("summary_es", "Cumbre <svg/onload=alert(1)>", "The text holds HTML (“<svg/onload=alert(1)>”)"),
        ("location", "Lima <b>", "The text holds HTML (“<b>”)"),
    ],
)
def test_the_change_form_refuses_html_in_plain_text_as_an_import_does(admin_client, field, text, message):
    data = {"title_es": "Cumbre de las Américas", "date": "2018-04-13", "date_precision": "day"}
    data.update(type=EventFactory.build().type.pk, end_date_precision="day", **{field: text})
    response = admin_client.post(reverse("admin:events_event_add"), data)
    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors[field][0]
    assert not Event.objects.exists()


def test_the_change_form_refuses_a_script_in_markdown_and_takes_the_rest(admin_client):
    url = reverse("admin:directorates_directorate_add")
    data = {
        "name_en": "Ocean unit",
        "acronym": "DOC",
        "position": 0,
        "formed_on_precision": "day",
        "dissolved_on_precision": "day",
        "body_en": "<script>alert(1)</script>",
    }
    response = admin_client.post(url, data)
    errors = response.context["adminform"].form.errors
    assert errors["body_en"] == ["The text holds a script, an event handler or a javascript: link; remove it."]
    response = admin_client.post(url, {**data, "body_en": "A **list** < of <b>bold</b> things"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Directorate.objects.get().body_en == "A **list** < of <b>bold</b> things"


def test_an_organisation_acronym_may_not_be_a_country_code(admin_client):
    response = admin_client.post(
        reverse("admin:foreignpolicy_organisation_add"),
        {"name_en": "Chile League", "name_es": "Liga de Chile", "acronym_en": "cl", "slug": "cl-league", "position": 0},
    )
    assert "cl is an ISO country code; choose another acronym." in response.content.decode()
