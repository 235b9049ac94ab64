"""The SQL that keeps the rollups (crm.models.rollups) right, and the tools to rebuild and verify them.

Triggers on `crm_lead` and `crm_timelineentry` (installed by migration 0013 in every company's schema)
apply each change as "minus the old row, plus the new row" to the rollup buckets, in the writer's
transaction: figures are right at every commit whatever wrote the change (services, queryset updates
and deletes, imports, merges, deletions, COPY). `EXPECTED` holds, per rollup, the query that computes
it from scratch; `rollups_rebuild` refills from them and `rollups_verify` compares them with what the
triggers kept (tests run it after each kind of change)."""

# ruff: noqa: S608 -- every SQL string here is built from constants of this module, never from input.
from __future__ import annotations

from django.db import connection, transaction

# The campaign a lead counts under: its UTM campaign, else its Meta campaign id.
CAMPAIGN = "coalesce(nullif({r}.utm_campaign, ''), {r}.meta_campaign_id)"
ZONE = "coalesce((SELECT zone FROM crm_rollupconfig ORDER BY id LIMIT 1), 'UTC')"

# A history entry's bucket in the stage flow rollup (day, from stage, to stage) and its figures (timed,
# seconds), for an entry record {e} and a time zone {zone}. The seller a flow counts under is the entry's
# lead's current seller (NULL when unassigned, or when the lead is gone): reassigning a lead moves its
# history's flows with it, so the funnel filtered by a seller counts that seller's leads.
FLOW_DAY = "({e}.created_at AT TIME ZONE {zone})::date"
FLOW_FROM = "CASE WHEN {e}.kind = 'stage' THEN ({e}.data ->> 'from_id')::bigint END"
FLOW_TO = "({e}.data ->> CASE WHEN {e}.kind = 'stage' THEN 'to_id' ELSE 'stage_id' END)::bigint"
FLOW_SECONDS = "CASE WHEN {e}.kind = 'stage' THEN ({e}.data ->> 'seconds')::bigint END"


def _flow(template: str, e: str, zone: str = "zone") -> str:
    return template.format(e=e, zone=zone)


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
    holder_moved boolean := TG_OP <> 'UPDATE' OR OLD.seller_id IS DISTINCT FROM NEW.seller_id;
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
        IF holder_moved AND r.seller_id IS NOT NULL THEN
            -- The lead's history flows count under its seller while it has one, under NULL otherwise:
            -- move them between the two (nothing when the history is not written yet, or already gone).
            INSERT INTO crm_stageflowrollup AS t (day, seller_id, from_stage_id, to_stage_id, count, timed, seconds)
            SELECT flow.day, holder.seller_id, flow.from_id, flow.to_id,
                   holder.sign * sum(flow.n), holder.sign * sum(flow.timed), holder.sign * sum(flow.seconds)
              FROM (
                SELECT {_flow(FLOW_DAY, "e")} AS day, {_flow(FLOW_FROM, "e")} AS from_id,
                       {_flow(FLOW_TO, "e")} AS to_id, 1 AS n,
                       CASE WHEN {_flow(FLOW_SECONDS, "e")} IS NULL THEN 0 ELSE 1 END AS timed,
                       coalesce({_flow(FLOW_SECONDS, "e")}, 0) AS seconds
                  FROM crm_timelineentry AS e
                 WHERE e.lead_id = r.id AND e.kind IN ('created', 'stage')
              ) AS flow,
              (VALUES (r.seller_id, sign), (NULL::bigint, -sign)) AS holder (seller_id, sign)
             GROUP BY flow.day, holder.seller_id, holder.sign, flow.from_id, flow.to_id
            ON CONFLICT (day, seller_id, from_stage_id, to_stage_id) DO UPDATE
            SET count = t.count + excluded.count, timed = t.timed + excluded.timed,
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
    holder bigint;
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
        seconds := {_flow(FLOW_SECONDS, "r")};
        holder := (SELECT seller_id FROM crm_lead WHERE id = r.lead_id);
        INSERT INTO crm_stageflowrollup AS t (day, seller_id, from_stage_id, to_stage_id, count, timed, seconds)
        VALUES (
            {_flow(FLOW_DAY, "r")}, holder, {_flow(FLOW_FROM, "r")}, {_flow(FLOW_TO, "r")},
            sign, CASE WHEN seconds IS NULL THEN 0 ELSE sign END, sign * coalesce(seconds, 0)
        )
        ON CONFLICT (day, seller_id, from_stage_id, to_stage_id) DO UPDATE
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
FLOW_COLUMNS = ("lead_id", "kind", "created_at", "data")


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
        ("day", "seller_id", "from_stage_id", "to_stage_id"),
        ("count", "timed", "seconds"),
        f"""SELECT {_flow(FLOW_DAY, "entry", "config.zone")}, lead.seller_id, {_flow(FLOW_FROM, "entry")},
                   {_flow(FLOW_TO, "entry")}, count(*),
                   count(*) FILTER (WHERE entry.kind = 'stage' AND entry.data ? 'seconds'),
                   coalesce(sum((entry.data ->> 'seconds')::bigint) FILTER (WHERE entry.kind = 'stage'), 0)
              FROM crm_timelineentry AS entry LEFT JOIN crm_lead AS lead ON lead.id = entry.lead_id,
                   (SELECT {ZONE} AS zone) AS config
             WHERE entry.kind IN ('created', 'stage')
             GROUP BY 1, 2, 3, 4""",
    ),
}


@transaction.atomic
def rollups_rebuild() -> None:
    """Recomputes every rollup of the current company from its leads and history (a few seconds at a
    million leads). Locks the leads and the history against writes meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE crm_lead, crm_timelineentry IN SHARE MODE")
        for table, (keys, values, query) in EXPECTED.items():
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(f"INSERT INTO {table} ({', '.join(keys + values)}) {query}")
            cursor.execute(f"ANALYZE {table}")


def rollups_verify() -> dict[str, list]:
    """What differs between each rollup and a recomputation from the leads: {table: [(key, kept,
    expected)]}, empty when they agree. Zero buckets count as absent."""
    return tables_verify(EXPECTED, by_key=_by_key)


def tables_verify(expected_tables: dict, *, by_key) -> dict[str, list]:
    """{table: [(key, kept, expected)]} for each table of `expected_tables` ({table: (key columns, value
    columns, recomputing query)}) whose rows differ from the query's; `by_key(rows, width)` indexes rows by
    their first `width` columns. Shared by the CRM's and the marketing hub's rollups."""
    differences: dict[str, list] = {}
    with connection.cursor() as cursor:
        for table, (keys, values, query) in expected_tables.items():
            cursor.execute(f"SELECT {', '.join(keys + values)} FROM {table}")
            kept = by_key(cursor.fetchall(), len(keys))
            cursor.execute(query)
            expected = by_key(cursor.fetchall(), len(keys))
            wrong = [
                (key, kept.get(key), expected.get(key))
                for key in sorted(set(kept) | set(expected), key=str)
                if kept.get(key) != expected.get(key)
            ]
            if wrong:
                differences[table] = wrong
    return differences


def _by_key(rows, width: int) -> dict:
    return {tuple(row[:width]): tuple(row[width:]) for row in rows if any(row[width:])}


def rollups_set_zone(zone: str) -> None:
    """Counts the daily rollups in `zone`'s days from now on (the company's time zone changed)."""
    from crm.models import RollupConfig

    with transaction.atomic():
        config = RollupConfig.objects.select_for_update().order_by("id").first() or RollupConfig()
        if config.pk and config.zone == zone:
            return
        config.zone = zone
        config.save()
        rollups_rebuild()


def tenant_zone_sync(sender, *, tenant=None, instance=None, **kwargs) -> None:
    """Signal receiver (see crm.apps): keeps the company's rollups in its time zone. Nothing to do
    before the company's schema has its rollup tables (while it is being created)."""
    from django_tenants.utils import get_public_schema_name, tenant_context

    company = tenant or instance
    if company is None or company.schema_name == get_public_schema_name():
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{company.schema_name}.crm_rollupconfig"])
        if not cursor.fetchone()[0]:
            return
    with tenant_context(company):
        rollups_set_zone(company.timezone or "UTC")
