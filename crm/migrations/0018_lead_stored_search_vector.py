"""The lead's search vector stored (a generated column) and GIN-indexed, instead of an index on the
expression: a search that walks another index (a list page sorted by name) tested each lead it passed by
computing its vector from the text again; now it reads it. Adding the column rewrites the table (about
as long as copying it: tens of seconds at a million leads, writes to the leads waiting meanwhile)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0017_list_sort_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='lead',
            name='lead_search_idx',
        ),
        migrations.AddField(
            model_name='lead',
            name='search_vector',
            field=models.GeneratedField(db_persist=True, expression=django.contrib.postgres.search.SearchVector('search_text', config='simple'), output_field=django.contrib.postgres.search.SearchVectorField()),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='lead_search_vector_idx'),
        ),
        # The rewritten table has no statistics on the new column yet: without them the planner misjudges
        # how many leads a search matches until autovacuum's next analyze.
        migrations.RunSQL("ANALYZE crm_lead", migrations.RunSQL.noop),
    ]
