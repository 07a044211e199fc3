from django.db import migrations

# The 2022 book's list called its signed agreements "about to enter into force", which was
# true of that list; the status holds agreements signed long ago too (Guatemala, 2011).
BOOK = ("About to enter into force", "Suscrito, por entrar en vigencia")
PLAIN = ("Signed, not in force", "Suscrito, no vigente")


def rename(apps, old, new):
    # Names staff reworded are theirs: only the installed ones change.
    apps.get_model("agreements", "AgreementStatus").objects.filter(
        code="signed", name_en=old[0], name_es=old[1]
    ).update(name_en=new[0], name_es=new[1])


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0010_withdrawal_notice"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: rename(apps, BOOK, PLAIN),
            lambda apps, schema_editor: rename(apps, PLAIN, BOOK),
        ),
    ]
