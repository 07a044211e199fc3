"""The three roles of the editorial workflow, as groups (README, "Roles")."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

KINDS = [("directorates", "directorate"), ("agreements", "agreement"), ("events", "event")]
VOCABULARIES = [
    ("foreignpolicy", "topic"),
    ("foreignpolicy", "organisation"),
    ("foreignpolicy", "country"),
    ("agreements", "agreementtype"),
    ("agreements", "agreementstatus"),
    ("events", "eventtype"),
]
EDITORS = [(app, f"{action}_{model}") for app, model in KINDS for action in ("view", "add", "change", "delete")] + [
    (app, f"view_{model}") for app, model in VOCABULARIES
]
PUBLISHERS = (
    EDITORS
    + [(app, f"publish_{model}") for app, model in KINDS]
    + [(app, f"{action}_{model}") for app, model in VOCABULARIES for action in ("add", "change", "delete")]
)
IMPORTERS_EXPORTERS = [(app, f"{action}_{model}") for app, model in KINDS for action in ("view", "import", "export")]
ROLES = {"Editors": EDITORS, "Publishers": PUBLISHERS, "Importers and exporters": IMPORTERS_EXPORTERS}


def create_roles(apps, schema_editor):
    # Permissions are made after the last migration; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in permissions
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("foreignpolicy", "0007_revision_sources"),
        ("agreements", "0008_publish_permission"),
        ("directorates", "0005_publish_permission"),
        ("events", "0006_publish_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
