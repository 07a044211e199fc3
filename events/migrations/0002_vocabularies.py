from django.db import migrations

TYPES = [
    ("summit", "Summit", "Cumbre"),
    ("bilateral-meeting", "Bilateral meeting", "Reunión bilateral"),
    ("official-visit", "Official visit", "Visita oficial"),
    ("multilateral-conference", "Multilateral conference", "Conferencia multilateral"),
    (
        "election-to-an-international-body",
        "Election to an international body",
        "Elección en un organismo internacional",
    ),
    ("agreement-signing", "Agreement signing", "Suscripción de acuerdo"),
    ("declaration-or-proposal", "Declaration or proposal", "Declaración o propuesta"),
    ("consular-and-humanitarian-action", "Consular and humanitarian action", "Acción consular y humanitaria"),
    ("announcement", "Announcement", "Anuncio"),
]


def install(apps, schema_editor):
    EventType = apps.get_model("events", "EventType")
    EventType.objects.bulk_create(
        EventType(slug=slug, name_en=en, name_es=es, position=i) for i, (slug, en, es) in enumerate(TYPES)
    )


def uninstall(apps, schema_editor):
    apps.get_model("events", "EventType").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
