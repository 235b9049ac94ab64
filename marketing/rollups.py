"""The SQL that keeps the hub's tables (marketing.models.rollups) right, and the tools to rebuild and
verify them, like crm.rollups.

- Insights: statement-level triggers on `marketing_insight` with transition tables apply "minus the old
  rows, plus the new rows" to every bucket in one set-based statement, whatever the statement (the sync's
  `INSERT ... ON CONFLICT DO UPDATE` fires the INSERT trigger for the rows it adds and the UPDATE trigger
  for the rows it changes; COPY, ORM writes and deletions fire them too), in the writer's transaction.
- Leads: row-level triggers on `crm_lead` (attributed leads only) and on the stage entries of
  `crm_timelineentry` recompute the lead's one row of `marketing_leadfact`, whose own trigger moves it
  between the buckets of `marketing_leadrollup`; its local day follows the
  company's time zone as crm's rollups do (a trigger on `crm_rollupconfig`).

`EXPECTED` holds, per table, the query that computes it from scratch; `rollups_rebuild` refills from them
and `rollups_verify` compares them with what the triggers kept."""

# ruff: noqa: S608 -- every SQL string here is built from constants of this module, never from input.
from __future__ import annotations

from django.db import connection, transaction

# (level, grain, period start, object id) of each bucket an insight row `i` counts in.
_BUCKETS = """(VALUES
    ('', 'd', {i}.date, 0::bigint),
    ('campaign', 'd', {i}.date, {i}.campaign_id),
    ('campaign', 'm', date_trunc('month', {i}.date)::date, {i}.campaign_id),
    ('adset', 'd', {i}.date, {i}.adset_id),
    ('adset', 'm', date_trunc('month', {i}.date)::date, {i}.adset_id),
    ('ad', 'm', date_trunc('month', {i}.date)::date, {i}.ad_id),
    ('ad', 'w', date_trunc('week', {i}.date)::date, {i}.ad_id)
) AS k (level, grain, period, object_id)"""

_APPLY = """
        INSERT INTO marketing_insightrollup AS t
               (level, grain, date, object_id, currency, rows, spend, impressions, clicks)
        SELECT k.level, k.grain, k.period, k.object_id, i.currency,
               sum({sign}), sum({sign} * i.spend), sum({sign} * i.impressions), sum({sign} * i.clicks)
          FROM {table}, LATERAL {buckets}
         GROUP BY 1, 2, 3, 4, 5 {having}
        ON CONFLICT (level, grain, date, object_id, currency) DO UPDATE
           SET rows = t.rows + excluded.rows, spend = t.spend + excluded.spend,
               impressions = t.impressions + excluded.impressions, clicks = t.clicks + excluded.clicks;"""

# An UPDATE's rows, old ones counted -1 and new ones +1, so that each bucket is written once with the net
# change, and not at all when nothing in it changed (a sync re-reading days whose figures stayed the same).
_INSIGHT = "date, campaign_id, adset_id, ad_id, currency, spend, impressions, clicks"
_CHANGES = f"""(SELECT -1, {_INSIGHT} FROM old_rows UNION ALL SELECT 1, {_INSIGHT} FROM new_rows)
               AS i (sign, {_INSIGHT})"""
_CHANGED = (
    "HAVING (sum(i.sign), sum(i.sign * i.spend), sum(i.sign * i.impressions), sum(i.sign * i.clicks)) <> (0, 0, 0, 0)"
)

# Values the lead's row is made of (`lead` is crm_lead's row, `lead_id` its id); plpgsql and the rebuild
# share it. The stage ids come from the lead and from its history's created and stage entries.
ZONE = "coalesce((SELECT zone FROM crm_rollupconfig ORDER BY id LIMIT 1), 'UTC')"
_FACT_SELECT = f"""
    SELECT lead.id, lead.created_at, (lead.created_at AT TIME ZONE {ZONE})::date,
           lead.meta_campaign_id, lead.meta_adset_id, lead.meta_ad_id,
           lead.seller_id, lead.stage_id,
           ARRAY(
               SELECT DISTINCT held FROM (
                   SELECT lead.stage_id AS held
                   UNION ALL
                   SELECT (entry.data ->> 'stage_id')::bigint FROM crm_timelineentry AS entry
                    WHERE entry.lead_id = lead.id AND entry.kind = 'created'
                   UNION ALL
                   SELECT unnest(ARRAY[(entry.data ->> 'from_id')::bigint, (entry.data ->> 'to_id')::bigint])
                     FROM crm_timelineentry AS entry
                    WHERE entry.lead_id = lead.id AND entry.kind = 'stage'
               ) AS history
               WHERE held IS NOT NULL ORDER BY held
           ),
           lead.expected_value
      FROM crm_lead AS lead
     WHERE lead.meta_campaign_id <> ''"""

FACT_COLUMNS = "lead_id, created_at, day, campaign, adset, ad, seller_id, stage_id, stages, value"

# Plain functions, no pinned search_path: they are copied into each new company's schema before its tables
# (tenants.schema_clone) and resolve the tables of the schema being written through the search path.
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION marketing_rollup_insight() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        {_APPLY.format(sign="-1", table="old_rows AS i", buckets=_BUCKETS.format(i="i"), having="")}
    ELSIF TG_OP = 'INSERT' THEN
        {_APPLY.format(sign="1", table="new_rows AS i", buckets=_BUCKETS.format(i="i"), having="")}
    ELSE
        {_APPLY.format(sign="i.sign", table=_CHANGES, buckets=_BUCKETS.format(i="i"), having=_CHANGED)}
    END IF;
    DELETE FROM marketing_insightrollup WHERE rows = 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION marketing_leadfact_refresh(target bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM marketing_leadfact WHERE lead_id = target;
    INSERT INTO marketing_leadfact ({FACT_COLUMNS}) {_FACT_SELECT} AND lead.id = target;
END $$;

CREATE OR REPLACE FUNCTION marketing_rollup_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM marketing_leadfact WHERE lead_id = OLD.id;
    ELSE
        IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
            DELETE FROM marketing_leadfact WHERE lead_id = OLD.id;
        END IF;
        PERFORM marketing_leadfact_refresh(NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION marketing_rollup_fact() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    sign integer;
BEGIN
    IF current_setting('marketing.rollups_paused', true) = 'on' THEN
        RETURN NULL;  -- rollups_fill recomputes the buckets itself
    END IF;
    FOR step IN 1..2 LOOP
        IF step = 1 THEN
            CONTINUE WHEN TG_OP = 'INSERT';
            r := OLD; sign := -1;
        ELSE
            CONTINUE WHEN TG_OP = 'DELETE';
            r := NEW; sign := 1;
        END IF;
        INSERT INTO marketing_leadrollup AS t (level, grain, date, key, seller_id, stage_id, stages, count, value)
        VALUES ('day', 'd', r.day, '', 0, r.stage_id, r.stages, sign, sign * r.value),
               ('seller', 'd', r.day, '', coalesce(r.seller_id, 0), r.stage_id, r.stages, sign, sign * r.value),
               ('seller', 'm', date_trunc('month', r.day)::date, '', coalesce(r.seller_id, 0), r.stage_id,
                r.stages, sign, sign * r.value),
               ('campaign', 'm', date_trunc('month', r.day)::date, r.campaign, 0, r.stage_id, r.stages, sign,
                sign * r.value)
        ON CONFLICT (level, grain, date, key, seller_id, stage_id, stages) DO UPDATE
        SET count = t.count + excluded.count, value = t.value + excluded.value;
    END LOOP;
    DELETE FROM marketing_leadrollup WHERE count = 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION marketing_rollup_zone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE marketing_leadfact SET day = (created_at AT TIME ZONE {ZONE})::date
     WHERE day <> (created_at AT TIME ZONE {ZONE})::date;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION marketing_rollup_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM marketing_leadfact_refresh(OLD.lead_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.lead_id <> OLD.lead_id) THEN
        PERFORM marketing_leadfact_refresh(NEW.lead_id);
    END IF;
    RETURN NULL;
END $$;
"""

# What the lead's row depends on: other updates (notes, scores, timestamps) leave it alone.
LEAD_COLUMNS = ("id", "created_at", "meta_campaign_id", "meta_adset_id", "meta_ad_id", "seller_id", "stage_id",
                "expected_value")  # fmt: skip
_STAGE_KINDS = "('created', 'stage')"


def _changed(columns, prefix_old="OLD", prefix_new="NEW") -> str:
    old = ", ".join(f"{prefix_old}.{column}" for column in columns)
    new = ", ".join(f"{prefix_new}.{column}" for column in columns)
    return f"(ROW({old}) IS DISTINCT FROM ROW({new}))"


TRIGGERS = f"""
CREATE TRIGGER marketing_insight_rollup_insert AFTER INSERT ON marketing_insight
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION marketing_rollup_insight();
CREATE TRIGGER marketing_insight_rollup_update AFTER UPDATE ON marketing_insight
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION marketing_rollup_insight();
CREATE TRIGGER marketing_insight_rollup_delete AFTER DELETE ON marketing_insight
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION marketing_rollup_insight();
CREATE TRIGGER marketing_lead_fact_insert AFTER INSERT ON crm_lead
    FOR EACH ROW WHEN (NEW.meta_campaign_id <> '') EXECUTE FUNCTION marketing_rollup_lead();
CREATE TRIGGER marketing_lead_fact_update AFTER UPDATE ON crm_lead
    FOR EACH ROW WHEN ((OLD.meta_campaign_id <> '' OR NEW.meta_campaign_id <> '') AND {_changed(LEAD_COLUMNS)})
    EXECUTE FUNCTION marketing_rollup_lead();
CREATE TRIGGER marketing_lead_fact_delete AFTER DELETE ON crm_lead
    FOR EACH ROW WHEN (OLD.meta_campaign_id <> '') EXECUTE FUNCTION marketing_rollup_lead();
CREATE TRIGGER marketing_fact_rollup_write AFTER INSERT OR DELETE ON marketing_leadfact
    FOR EACH ROW EXECUTE FUNCTION marketing_rollup_fact();
CREATE TRIGGER marketing_fact_rollup_update AFTER UPDATE ON marketing_leadfact
    FOR EACH ROW WHEN (ROW(OLD.day, OLD.campaign, OLD.seller_id, OLD.stage_id, OLD.stages, OLD.value)
                       IS DISTINCT FROM ROW(NEW.day, NEW.campaign, NEW.seller_id, NEW.stage_id, NEW.stages, NEW.value))
    EXECUTE FUNCTION marketing_rollup_fact();
CREATE TRIGGER marketing_zone_fact AFTER INSERT OR UPDATE OR DELETE ON crm_rollupconfig
    FOR EACH STATEMENT EXECUTE FUNCTION marketing_rollup_zone();
CREATE TRIGGER marketing_history_fact_insert AFTER INSERT ON crm_timelineentry
    FOR EACH ROW WHEN (NEW.kind IN {_STAGE_KINDS}) EXECUTE FUNCTION marketing_rollup_history();
CREATE TRIGGER marketing_history_fact_update AFTER UPDATE ON crm_timelineentry
    FOR EACH ROW WHEN ((OLD.kind IN {_STAGE_KINDS} OR NEW.kind IN {_STAGE_KINDS})
                       AND {_changed(("lead_id", "kind", "data"))})
    EXECUTE FUNCTION marketing_rollup_history();
CREATE TRIGGER marketing_history_fact_delete AFTER DELETE ON crm_timelineentry
    FOR EACH ROW WHEN (OLD.kind IN {_STAGE_KINDS}) EXECUTE FUNCTION marketing_rollup_history();
"""

DROP = """
DROP TRIGGER IF EXISTS marketing_insight_rollup_insert ON marketing_insight;
DROP TRIGGER IF EXISTS marketing_insight_rollup_update ON marketing_insight;
DROP TRIGGER IF EXISTS marketing_insight_rollup_delete ON marketing_insight;
DROP TRIGGER IF EXISTS marketing_lead_fact_insert ON crm_lead;
DROP TRIGGER IF EXISTS marketing_lead_fact_update ON crm_lead;
DROP TRIGGER IF EXISTS marketing_lead_fact_delete ON crm_lead;
DROP TRIGGER IF EXISTS marketing_zone_fact ON crm_rollupconfig;
DROP TRIGGER IF EXISTS marketing_fact_rollup_write ON marketing_leadfact;
DROP TRIGGER IF EXISTS marketing_fact_rollup_update ON marketing_leadfact;
DROP TRIGGER IF EXISTS marketing_history_fact_insert ON crm_timelineentry;
DROP TRIGGER IF EXISTS marketing_history_fact_update ON crm_timelineentry;
DROP TRIGGER IF EXISTS marketing_history_fact_delete ON crm_timelineentry;
DROP FUNCTION IF EXISTS marketing_rollup_insight();
DROP FUNCTION IF EXISTS marketing_rollup_lead();
DROP FUNCTION IF EXISTS marketing_rollup_history();
DROP FUNCTION IF EXISTS marketing_rollup_zone();
DROP FUNCTION IF EXISTS marketing_rollup_fact();
DROP FUNCTION IF EXISTS marketing_leadfact_refresh(bigint);
"""

# Each table computed from scratch: (key columns, value columns, query).
EXPECTED = {
    "marketing_insightrollup": (
        ("level", "grain", "date", "object_id", "currency"),
        ("rows", "spend", "impressions", "clicks"),
        f"""SELECT k.level, k.grain, k.period, k.object_id, i.currency,
                   count(*), sum(i.spend), sum(i.impressions), sum(i.clicks)
              FROM marketing_insight AS i, LATERAL {_BUCKETS.format(i="i")}
             GROUP BY 1, 2, 3, 4, 5""",
    ),
    "marketing_leadfact": (("lead_id",), tuple(FACT_COLUMNS.split(", ")[1:]), _FACT_SELECT),
    # From the leads (not from the kept facts), so that verifying checks both triggers.
    "marketing_leadrollup": (
        ("level", "grain", "date", "key", "seller_id", "stage_id", "stages"),
        ("count", "value"),
        f"""SELECT k.level, k.grain, k.period, k.key, k.seller_id, fact.stage_id, fact.stages,
                   count(*), sum(fact.value)
              FROM ({_FACT_SELECT}) AS fact ({FACT_COLUMNS}),
                   LATERAL (VALUES ('day', 'd', fact.day, '', 0::bigint),
                                   ('seller', 'd', fact.day, '', coalesce(fact.seller_id, 0)),
                                   ('seller', 'm', date_trunc('month', fact.day)::date, '',
                                    coalesce(fact.seller_id, 0)),
                                   ('campaign', 'm', date_trunc('month', fact.day)::date, fact.campaign, 0))
                       AS k (level, grain, period, key, seller_id)
             GROUP BY 1, 2, 3, 4, 5, 6, 7""",
    ),
}


def rollups_fill(cursor) -> None:
    """Empties and refills every table from scratch (the buckets' trigger paused meanwhile: they are
    refilled last)."""
    cursor.execute("SELECT set_config('marketing.rollups_paused', 'on', true)")
    for table, (keys, values, query) in EXPECTED.items():
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"INSERT INTO {table} ({', '.join(keys + values)}) {query}")
    cursor.execute("SELECT set_config('marketing.rollups_paused', 'off', true)")


@transaction.atomic
def rollups_rebuild() -> None:
    """Recomputes every table of the current company from its insights, leads and history. Locks those
    against writes meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE marketing_insight, crm_lead, crm_timelineentry IN SHARE MODE")
        rollups_fill(cursor)
        for table in EXPECTED:
            cursor.execute(f"ANALYZE {table}")


def rollups_verify() -> dict[str, list]:
    """What differs between each table and a recomputation: {table: [(key, kept, expected)]}, empty when
    they agree."""
    from crm.rollups import tables_verify

    return tables_verify(EXPECTED, by_key=_by_key)


def _by_key(rows, width: int) -> dict:
    rows = [tuple(tuple(value) if isinstance(value, list) else value for value in row) for row in rows]
    return {row[:width]: row[width:] for row in rows}
