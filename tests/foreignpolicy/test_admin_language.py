"""The admin in the staff member's language throughout: sections as staff think of them,
the libraries' lists named for what they hold, the record-kind filter naming the three
kinds, and export files named in that language."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

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


def test_the_agreements_list_shows_what_an_editor_scans_for_with_dates_as_the_public_site_does(admin_client):
    from datetime import date

    from foreignpolicy.partial_dates import Precision

    AgreementFactory(
        title_en="Agreement with the OAS",
        title_es="Acuerdo con la OEA",
        signed_on=date(2026, 1, 1),
        signed_on_precision=Precision.MONTH,
        in_force_on=None,
    )
    response = spanish(admin_client, "admin:agreements_agreement_changelist")
    columns = [capfirst(header["text"]) for header in response.context["result_headers"]][1:]  # after the checkbox
    assert columns == ["Título", "Estado", "Suscrito", "Vigente desde", "Publicación"]
    page = text_of(response)
    assert "Acuerdo con la OEA" in page and "enero de 2026" in page and "1 de enero de 2026" not in page
    assert "publicado" in page


def test_the_imports_list_heads_its_counts_as_counts(admin_client, import_csv):
    import_csv("agreements", "title_en,type,status\nX,Acuerdo marco,under_negotiation\n")
    response = spanish(admin_client, "admin:foreignpolicy_importrecord_changelist")
    columns = [capfirst(header["text"]) for header in response.context["result_headers"]][1:]
    assert "Creados" in columns and "Fecha de creación" not in columns
    assert "Tipo de registro" in columns
