from django.db import migrations

# (slug, English, Spanish, the agreement's date the kind marks, other spellings)
KINDS = [
    ("negotiations-launched", "Negotiations launched", "Inicio de negociaciones", "", "launch; lanzamiento"),
    ("negotiation-round", "Negotiation round", "Ronda de negociaciones", "", "round; ronda"),
    ("negotiations-concluded", "Negotiations concluded", "Conclusión de negociaciones", "", "conclusion; conclusión"),
    ("signature", "Signature", "Suscripción", "signed_on", "signed; firma; suscrito"),
    (
        "congressional-approval",
        "Approval by Congress",
        "Aprobación por el Congreso",
        "",
        "Resolución Legislativa; approval; aprobación",
    ),
    (
        "executive-approval",
        "Approval by the executive (simplified agreement)",
        "Ratificación interna por el Ejecutivo (acuerdo simplificado)",
        "",
        "executive approval; aprobación por el Ejecutivo",
    ),
    ("ratification", "Ratification", "Ratificación", "", "ratificación por Decreto Supremo"),
    (
        "deposit",
        "Deposit or exchange of instruments",
        "Depósito o canje de instrumentos",
        "",
        "deposit; exchange of instruments; exchange of notes; depósito; canje de notas",
    ),
    (
        "entry-into-force",
        "Entry into force for Peru",
        "Entrada en vigor para el Perú",
        "in_force_on",
        "entry into force; in force; entrada en vigor; entrada en vigencia; vigencia",
    ),
    (
        "general-entry-into-force",
        "Entry into force (general)",
        "Entrada en vigor general",
        "",
        "general entry into force; entrada en vigor internacional",
    ),
    ("amendment", "Amendment", "Enmienda", "", "enmienda; modificación"),
    ("suspension", "Suspension", "Suspensión", "", "suspended; suspendido"),
    (
        "withdrawal",
        "Denunciation or withdrawal",
        "Denuncia o retiro",
        "ended_on",
        "withdrawal; denunciation; retiro; denuncia",
    ),
    ("termination", "Termination", "Terminación", "ended_on", "terminated; terminación; término"),
]


def install(apps, schema_editor):
    StepKind = apps.get_model("agreements", "StepKind")
    StepKind.objects.bulk_create(
        StepKind(slug=slug, name_en=en, name_es=es, marks=marks, spellings=spellings, position=position)
        for position, (slug, en, es, marks, spellings) in enumerate(KINDS)
    )


def uninstall(apps, schema_editor):
    apps.get_model("agreements", "StepKind").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("agreements", "0014_steps_and_participants")]
    operations = [migrations.RunPython(install, uninstall)]
