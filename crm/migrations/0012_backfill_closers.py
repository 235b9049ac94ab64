"""Fills Lead.closed_seller and closed_from_stage for deals closed before they existed, and the default
win probabilities of the default open stages (crm.models.Stage.DEFAULT_PROBABILITIES)."""

from django.db import migrations

# Deals closed before the closer was recorded: their current seller closed them, from the open stage the
# last move into their closing stage left. The default open stages get their default win probabilities.
BACKFILL = """
UPDATE crm_lead SET closed_seller_id = seller_id
 WHERE closed_at IS NOT NULL AND closed_seller_id IS NULL;
UPDATE crm_lead AS lead SET closed_from_stage_id = moved.from_id
  FROM (
    SELECT DISTINCT ON (entry.lead_id) entry.lead_id, (entry.data ->> 'from_id')::bigint AS from_id
      FROM crm_timelineentry AS entry
     WHERE entry.kind = 'stage' AND entry.data ? 'from_id'
     ORDER BY entry.lead_id, entry.created_at DESC, entry.id DESC
  ) AS moved
 WHERE moved.lead_id = lead.id AND lead.closed_at IS NOT NULL
   AND EXISTS (SELECT 1 FROM crm_stage AS stage WHERE stage.id = moved.from_id AND stage.kind = 'open');
UPDATE crm_stage SET win_probability = CASE key
    WHEN 'new' THEN 10 WHEN 'contacted' THEN 20 WHEN 'interested' THEN 40 WHEN 'negotiation' THEN 60 ELSE 0 END
 WHERE kind = 'open';
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0011_closer_forecast_rollups")]

    operations = [migrations.RunSQL(BACKFILL, migrations.RunSQL.noop)]
