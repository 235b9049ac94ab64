"""Indexes for the lead list's sorts (name, value, last contact, next step, stage), each with the id
after it, so a page walks an index instead of sorting every lead. Built inside the migration: a few
seconds per index at a million leads, during which writes to the leads wait."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0016_bulk_failure_codes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='lead',
            name='lead_next_action_idx',
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['first_name', 'id'], name='lead_name_sort_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['expected_value', 'id'], name='lead_value_sort_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['last_contact_at', 'id'], name='lead_last_contact_sort_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['next_action_at', 'id'], name='lead_next_action_sort_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['stage', 'id'], name='lead_stage_sort_idx'),
        ),
    ]
