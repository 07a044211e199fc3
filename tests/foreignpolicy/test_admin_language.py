"""The admin in the staff member's language throughout: sections as staff think of them,
the libraries' lists named for what they hold, the record-kind filter naming the three
kinds, and export files named in that language."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db


def text_of(response):
    page = re.sub(r"<script.*?</script>", "", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def spanish(client, name, **data):
    return client.get(reverse(name), data, headers={"accept-language": "es"})


def sections(response):
    return [app["name"] for app in response.context["app_list"]]


def test_the_index_groups_imports_and_staff_login_apart_from_the_vocabularies(admin_client):
    response = spanish(admin_client, "admin:index")
    by_section = {
        str(app["name"]): [str(model["name"]) for model in app["models"]] for app in response.context["app_list"]
    }
    assert by_section["Importaciones"] == ["Importaciones"]
    assert sorted(by_section["Inicio de sesión del personal"]) == [
        "Aplicaciones de autenticación",
        "Inicios de sesión",
        "Inicios de sesión fallidos",
        "Juegos de códigos de recuperación",
    ]
    assert "Importaciones" not in by_section["Vocabularios de referencia"]
    page = text_of(response)
    for english in ("Access attempts", "Access logs", "TOTP devices", "Static devices", "Otp_Totp", "Axes"):
        assert english not in page


def test_the_imports_list_filters_by_the_three_kinds_of_record_by_their_names(admin_client):
    response = spanish(admin_client, "admin:foreignpolicy_importrecord_changelist")
    page = text_of(response)
    assert "Por tipo de registro Todo Direcciones Acuerdos Eventos" in page
    assert "Tipos de contenido |" not in page
    assert '<a href="/admin/">Inicio</a> &rsaquo; Importaciones</div>' in response.content.decode()


def test_the_export_page_is_in_spanish_and_the_file_is_named_in_it(admin_client):
    AgreementFactory()
    page = text_of(spanish(admin_client, "admin:agreements_agreement_export"))
    assert "Esta exportación escribe las siguientes columnas:" in page and "This exporter" not in page
    response = admin_client.post(
        reverse("admin:agreements_agreement_export"),
        {"format": "0", "resource": ""},
        headers={"accept-language": "es"},
    )
    day = timezone.localdate().isoformat()
    assert f'filename="acuerdos-{day}.csv"' in response["Content-Disposition"]
