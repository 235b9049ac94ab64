from django.db import migrations

DEFAULT_STAGES = [
    ("new", "open"),
    ("contacted", "open"),
    ("interested", "open"),
    ("negotiation", "open"),
    ("won", "won"),
    ("lost", "lost"),
]


def create_default_stages(apps, schema_editor):
    if schema_editor.connection.schema_name == "public":
        return
    Stage = apps.get_model("crm", "Stage")
    if Stage.objects.exists():
        return
    for position, (key, kind) in enumerate(DEFAULT_STAGES):
        Stage.objects.create(key=key, kind=kind, position=position)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(create_default_stages, migrations.RunPython.noop)]
