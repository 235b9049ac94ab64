"""The stage flow rollup gets the seller holding each lead (the funnel and days in stage follow the
analytics' seller filter): new key, the triggers of crm.rollups that keep it, and a refill from the history.
The refill reads every history entry once (seconds at a million leads), locking the leads and the history
against writes meanwhile."""

from django.db import migrations, models

from crm.migrations import _rollups_0013 as before


def refill_flows(apps, schema_editor):
    from crm import rollups

    keys, values, query = rollups.EXPECTED["crm_stageflowrollup"]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("LOCK TABLE crm_lead, crm_timelineentry IN SHARE MODE")
        cursor.execute("DELETE FROM crm_stageflowrollup")
        cursor.execute(f"INSERT INTO crm_stageflowrollup ({', '.join(keys + values)}) {query}")  # noqa: S608


def refill_flows_without_seller(apps, schema_editor):
    keys, values, query = before.EXPECTED["crm_stageflowrollup"]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM crm_stageflowrollup")
        cursor.execute(f"INSERT INTO crm_stageflowrollup ({', '.join(keys + values)}) {query}")  # noqa: S608


def empty_flows(apps, schema_editor):
    """Going back: without the seller, the rows of one day and move would collide under the old key."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM crm_stageflowrollup")


def install_functions(apps, schema_editor):
    from crm import rollups

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(rollups.DROP + rollups.FUNCTIONS + rollups.TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0014_merge_board_rollups"),
    ]

    operations = [
        migrations.RunSQL(migrations.RunSQL.noop, before.DROP + before.FUNCTIONS + before.TRIGGERS),
        migrations.RunPython(migrations.RunPython.noop, refill_flows_without_seller),
        migrations.RemoveConstraint(
            model_name="stageflowrollup",
            name="stage_flow_rollup_key",
        ),
        migrations.RunPython(migrations.RunPython.noop, empty_flows),
        migrations.AddField(
            model_name="stageflowrollup",
            name="seller_id",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddConstraint(
            model_name="stageflowrollup",
            constraint=models.UniqueConstraint(
                fields=("day", "seller_id", "from_stage_id", "to_stage_id"),
                name="stage_flow_rollup_seller_key",
                nulls_distinct=False,
            ),
        ),
        migrations.RunPython(install_functions, migrations.RunPython.noop),
        migrations.RunPython(refill_flows, migrations.RunPython.noop),
    ]
