"""The rollup SQL as migration 0013 installed it, frozen (crm.rollups holds the current version; 0015 gave
the stage flow rollup its seller). A migrations module whose name starts with "_" is not a migration.

Original description:
The SQL that keeps the rollups (crm.models.rollups) right, and the tools to rebuild and verify them.

Triggers on `crm_lead` and `crm_timelineentry` (installed by migration 0013 in every company's schema)
apply each change as "minus the old row, plus the new row" to the rollup buckets, in the writer's
transaction: figures are right at every commit whatever wrote the change (services, queryset updates
and deletes, imports, merges, deletions, COPY). `EXPECTED` holds, per rollup, the query that computes
it from scratch; `rollups_rebuild` refills from them and `rollups_verify` compares them with what the
triggers kept (tests run it after each kind of change)."""

# ruff: noqa: S608 -- every SQL string here is built from constants of this module, never from input.
from __future__ import annotations

# The campaign a lead counts under: its UTM campaign, else its Meta campaign id.
CAMPAIGN = "coalesce(nullif({r}.utm_campaign, ''), {r}.meta_campaign_id)"
ZONE = "coalesce((SELECT zone FROM crm_rollupconfig ORDER BY id LIMIT 1), 'UTC')"

# Plain record variables, no row-typed arguments and no pinned search_path: the functions are copied into
# each new company's schema before its tables (tenants.schema_clone), and resolve the tables of the
# schema being written through the search path django-tenants sets.
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION crm_rollup_lead() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    zone text := {ZONE};
    r record;
    sign integer;
    stage_kind text;
    created_day date;
BEGIN
    IF current_setting('crm.rollups_paused', true) = 'on' THEN
        RETURN NULL;  -- a bulk load that rebuilds the rollups itself (crm.seeding_bulk)
    END IF;
    FOR step IN 1..2 LOOP
        IF step = 1 THEN
            CONTINUE WHEN TG_OP = 'INSERT';
            r := OLD; sign := -1;
        ELSE
            CONTINUE WHEN TG_OP = 'DELETE';
            r := NEW; sign := 1;
        END IF;
        SELECT kind INTO stage_kind FROM crm_stage WHERE id = r.stage_id;
        created_day := (r.created_at AT TIME ZONE zone)::date;
        INSERT INTO crm_pipelinerollup AS t (stage_id, seller_id, close_month, count, value)
        VALUES (r.stage_id, r.seller_id, date_trunc('month', r.expected_close)::date, sign, sign * r.expected_value)
        ON CONFLICT (stage_id, seller_id, close_month)
        DO UPDATE SET count = t.count + excluded.count, value = t.value + excluded.value;
        INSERT INTO crm_createdrollup AS t (day, seller_id, source, count)
        VALUES (created_day, r.seller_id, r.source, sign)
        ON CONFLICT (day, seller_id, source) DO UPDATE SET count = t.count + excluded.count;
        INSERT INTO crm_campaignrollup AS t (day, source, campaign, count, won, won_value)
        VALUES (
            created_day, r.source, {CAMPAIGN.format(r="r")}, sign,
            CASE WHEN stage_kind = 'won' THEN sign ELSE 0 END,
            CASE WHEN stage_kind = 'won' THEN sign * r.expected_value ELSE 0 END
        )
        ON CONFLICT (day, source, campaign) DO UPDATE
        SET count = t.count + excluded.count, won = t.won + excluded.won, won_value = t.won_value + excluded.won_value;
        IF stage_kind IN ('won', 'lost') AND r.closed_at IS NOT NULL THEN
            INSERT INTO crm_closedrollup AS t (day, closer_id, kind, lost_reason, count, value, seconds)
            VALUES (
                (r.closed_at AT TIME ZONE zone)::date, r.closed_seller_id, stage_kind,
                CASE WHEN stage_kind = 'lost' THEN r.lost_reason ELSE '' END, sign, sign * r.expected_value,
                sign * floor(extract(epoch FROM r.closed_at - r.created_at))::bigint
            )
            ON CONFLICT (day, closer_id, kind, lost_reason) DO UPDATE
            SET count = t.count + excluded.count, value = t.value + excluded.value,
                seconds = t.seconds + excluded.seconds;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION crm_rollup_flow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    zone text := {ZONE};
    r record;
    sign integer;
    seconds bigint;
BEGIN
    IF current_setting('crm.rollups_paused', true) = 'on' THEN
        RETURN NULL;  -- a bulk load that rebuilds the rollups itself (crm.seeding_bulk)
    END IF;
    FOR step IN 1..2 LOOP
        IF step = 1 THEN
            CONTINUE WHEN TG_OP = 'INSERT';
            r := OLD; sign := -1;
        ELSE
            CONTINUE WHEN TG_OP = 'DELETE';
            r := NEW; sign := 1;
        END IF;
        CONTINUE WHEN r.kind NOT IN ('created', 'stage');
        seconds := CASE WHEN r.kind = 'stage' THEN (r.data ->> 'seconds')::bigint END;
        INSERT INTO crm_stageflowrollup AS t (day, from_stage_id, to_stage_id, count, timed, seconds)
        VALUES (
            (r.created_at AT TIME ZONE zone)::date,
            CASE WHEN r.kind = 'stage' THEN (r.data ->> 'from_id')::bigint END,
            (r.data ->> CASE WHEN r.kind = 'stage' THEN 'to_id' ELSE 'stage_id' END)::bigint,
            sign, CASE WHEN seconds IS NULL THEN 0 ELSE sign END, sign * coalesce(seconds, 0)
        )
        ON CONFLICT (day, from_stage_id, to_stage_id) DO UPDATE
        SET count = t.count + excluded.count, timed = t.timed + excluded.timed, seconds = t.seconds + excluded.seconds;
    END LOOP;
    RETURN NULL;
END $$;
"""

# What the lead triggers depend on: an update that changes none of these leaves the rollups alone.
LEAD_COLUMNS = (
    "stage_id", "seller_id", "expected_value", "expected_close", "created_at", "closed_at", "closed_seller_id",
    "lost_reason", "source", "utm_campaign", "meta_campaign_id",
)  # fmt: skip
FLOW_COLUMNS = ("kind", "created_at", "data")


def _changed(columns) -> str:
    old = ", ".join(f"OLD.{column}" for column in columns)
    new = ", ".join(f"NEW.{column}" for column in columns)
    return f"(ROW({old}) IS DISTINCT FROM ROW({new}))"


TRIGGERS = f"""
CREATE TRIGGER crm_lead_rollup_write AFTER INSERT OR DELETE ON crm_lead
    FOR EACH ROW EXECUTE FUNCTION crm_rollup_lead();
CREATE TRIGGER crm_lead_rollup_update AFTER UPDATE ON crm_lead
    FOR EACH ROW WHEN {_changed(LEAD_COLUMNS)} EXECUTE FUNCTION crm_rollup_lead();
CREATE TRIGGER crm_timeline_rollup_write AFTER INSERT OR DELETE ON crm_timelineentry
    FOR EACH ROW EXECUTE FUNCTION crm_rollup_flow();
CREATE TRIGGER crm_timeline_rollup_update AFTER UPDATE ON crm_timelineentry
    FOR EACH ROW WHEN {_changed(FLOW_COLUMNS)} EXECUTE FUNCTION crm_rollup_flow();
"""

DROP = """
DROP TRIGGER IF EXISTS crm_lead_rollup_write ON crm_lead;
DROP TRIGGER IF EXISTS crm_lead_rollup_update ON crm_lead;
DROP TRIGGER IF EXISTS crm_timeline_rollup_write ON crm_timelineentry;
DROP TRIGGER IF EXISTS crm_timeline_rollup_update ON crm_timelineentry;
DROP FUNCTION IF EXISTS crm_rollup_lead();
DROP FUNCTION IF EXISTS crm_rollup_flow();
"""

_LEAD_FROM = f"""
FROM crm_lead AS lead JOIN crm_stage AS stage ON stage.id = lead.stage_id,
     (SELECT {ZONE} AS zone) AS config
"""

# Each rollup computed from the leads and their history: (table, key columns, value columns, query).
EXPECTED = {
    "crm_pipelinerollup": (
        ("stage_id", "seller_id", "close_month"),
        ("count", "value"),
        """SELECT lead.stage_id, lead.seller_id, date_trunc('month', lead.expected_close)::date,
                  count(*), sum(lead.expected_value)
             FROM crm_lead AS lead GROUP BY 1, 2, 3""",
    ),
    "crm_createdrollup": (
        ("day", "seller_id", "source"),
        ("count",),
        f"""SELECT (lead.created_at AT TIME ZONE config.zone)::date, lead.seller_id, lead.source, count(*)
             {_LEAD_FROM} GROUP BY 1, 2, 3""",
    ),
    "crm_campaignrollup": (
        ("day", "source", "campaign"),
        ("count", "won", "won_value"),
        f"""SELECT (lead.created_at AT TIME ZONE config.zone)::date, lead.source, {CAMPAIGN.format(r="lead")},
                   count(*), count(*) FILTER (WHERE stage.kind = 'won'),
                   coalesce(sum(lead.expected_value) FILTER (WHERE stage.kind = 'won'), 0)
             {_LEAD_FROM} GROUP BY 1, 2, 3""",
    ),
    "crm_closedrollup": (
        ("day", "closer_id", "kind", "lost_reason"),
        ("count", "value", "seconds"),
        f"""SELECT (lead.closed_at AT TIME ZONE config.zone)::date, lead.closed_seller_id, stage.kind,
                   CASE WHEN stage.kind = 'lost' THEN lead.lost_reason ELSE '' END,
                   count(*), sum(lead.expected_value),
                   sum(floor(extract(epoch FROM lead.closed_at - lead.created_at))::bigint)
             {_LEAD_FROM} WHERE stage.kind IN ('won', 'lost') AND lead.closed_at IS NOT NULL
             GROUP BY 1, 2, 3, 4""",
    ),
    "crm_stageflowrollup": (
        ("day", "from_stage_id", "to_stage_id"),
        ("count", "timed", "seconds"),
        f"""SELECT (entry.created_at AT TIME ZONE config.zone)::date,
                   CASE WHEN entry.kind = 'stage' THEN (entry.data ->> 'from_id')::bigint END,
                   (entry.data ->> CASE WHEN entry.kind = 'stage' THEN 'to_id' ELSE 'stage_id' END)::bigint,
                   count(*),
                   count(*) FILTER (WHERE entry.kind = 'stage' AND entry.data ? 'seconds'),
                   coalesce(sum((entry.data ->> 'seconds')::bigint) FILTER (WHERE entry.kind = 'stage'), 0)
              FROM crm_timelineentry AS entry, (SELECT {ZONE} AS zone) AS config
             WHERE entry.kind IN ('created', 'stage')
             GROUP BY 1, 2, 3""",
    ),
}
