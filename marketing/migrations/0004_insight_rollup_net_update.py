from django.db import migrations

from marketing import rollups


class Migration(migrations.Migration):
    """The insights' UPDATE trigger writes each bucket once with the net change (old rows -1, new rows +1)
    and skips the buckets nothing changed in, instead of taking every old row out and putting every new one
    back (issue 11, Speed: the hourly re-sync of the last days). Same tables, same results; going back
    keeps the new function, which the tables of 0003 serve as well."""

    dependencies = [
        ("marketing", "0003_hub_rollups"),
    ]

    operations = [
        migrations.RunSQL(rollups.FUNCTIONS, migrations.RunSQL.noop),
    ]
