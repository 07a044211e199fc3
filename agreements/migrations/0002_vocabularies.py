from django.db import migrations

STATUSES = [
    ("under_negotiation", "Under negotiation", "En negociación"),
    ("signed", "About to enter into force", "Suscrito, por entrar en vigencia"),
    ("in_force", "In force", "Vigente"),
    ("terminated", "No longer in force", "Sin vigencia"),
]

TYPES = [
    ("free-trade-agreement", "Free trade agreement", "Tratado de libre comercio"),
    ("trade-promotion-agreement", "Trade promotion agreement", "Acuerdo de promoción comercial"),
    (
        "economic-complementation-agreement",
        "Economic complementation agreement",
        "Acuerdo de complementación económica",
    ),
    ("economic-partnership-agreement", "Economic partnership agreement", "Acuerdo de asociación económica"),
    ("partial-scope-agreement", "Partial scope agreement", "Acuerdo de alcance parcial"),
    ("trade-integration-agreement", "Trade integration agreement", "Acuerdo de integración comercial"),
    ("regional-integration-agreement", "Regional integration agreement", "Acuerdo de integración regional"),
    ("multilateral-agreement", "Multilateral agreement", "Acuerdo multilateral"),
    ("strategic-partnership", "Strategic partnership", "Asociación estratégica"),
    ("memorandum-of-understanding", "Memorandum of understanding", "Memorando de entendimiento"),
    ("framework-agreement", "Framework agreement", "Acuerdo marco"),
]


def install(apps, schema_editor):
    AgreementStatus = apps.get_model("agreements", "AgreementStatus")
    AgreementType = apps.get_model("agreements", "AgreementType")
    AgreementStatus.objects.bulk_create(
        AgreementStatus(code=code, name_en=en, name_es=es, position=i) for i, (code, en, es) in enumerate(STATUSES)
    )
    AgreementType.objects.bulk_create(
        AgreementType(slug=slug, name_en=en, name_es=es, position=i) for i, (slug, en, es) in enumerate(TYPES)
    )


def uninstall(apps, schema_editor):
    apps.get_model("agreements", "AgreementStatus").objects.all().delete()
    apps.get_model("agreements", "AgreementType").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
