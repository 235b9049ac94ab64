"""The SQL of the marketing hub's figures (marketing.selectors.hub): how a date range splits into the
rollups' buckets (whole months, weeks, days), and the queries that sum them per object, seller and day,
and join, sort and cut the rows to a page. Every statement is built from this module's constants; values
go as parameters."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection

LEVELS = ("campaign", "adset", "ad")
_FACT_KEY = {"campaign": "campaign", "adset": "adset", "ad": "ad"}


def month_split(date_from: date, date_to: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months inside [date_from, date_to] (first days of the first and last), and the day ranges
    left at the edges."""
    first = date_from if date_from.day == 1 else (date_from.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = date_to + timedelta(days=1)
    end = after if after.day == 1 else date_to.replace(day=1)  # exclusive
    if first >= end:
        return None, [(date_from, date_to)]
    edges = [(a, b) for a, b in ((date_from, first - timedelta(days=1)), (end, date_to)) if a <= b]
    last_month = (end - timedelta(days=1)).replace(day=1)
    return (first, last_month), edges


def week_split(date_from: date, date_to: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole weeks (Monday to Sunday) inside [date_from, date_to] (their Mondays, first and last), and
    the day ranges left at the edges."""
    first = date_from + timedelta(days=(7 - date_from.weekday()) % 7)
    last_sunday = date_to - timedelta(days=(date_to.weekday() + 1) % 7)
    if first + timedelta(days=6) > last_sunday:
        return None, [(date_from, date_to)]
    edges = [
        (a, b)
        for a, b in ((date_from, first - timedelta(days=1)), (last_sunday + timedelta(days=1), date_to))
        if a <= b
    ]
    return (first, last_sunday - timedelta(days=6)), edges


def _spend_parts(level: str, date_from: date, date_to: date, params: dict) -> str:
    """The `UNION ALL` of (object id, currency, spend, impressions, clicks) rows whose sums per object are its
    figures over the range: whole months from the monthly buckets; the edges from the daily buckets, or per
    ad from the weekly buckets and the insights of the days left. Adds its values to `params`."""
    months, edges = month_split(date_from, date_to)
    bucket = (
        "SELECT object_id, currency, spend, impressions, clicks FROM marketing_insightrollup"
        " WHERE level = %(level)s AND grain = '{grain}' AND date >= %({name}_from)s AND date <= %({name}_to)s"
    )
    raw = (
        "SELECT ad_id, currency, spend, impressions, clicks FROM marketing_insight"
        " WHERE date >= %({name}_from)s AND date <= %({name}_to)s"
    )
    parts = []
    params["level"] = level

    def part(template: str, grain: str, name: str, span: tuple[date, date]) -> None:
        parts.append(template.format(grain=grain, name=name))
        params[f"{name}_from"], params[f"{name}_to"] = span

    if months:
        part(bucket, "m", "months", months)
    for n, edge in enumerate(edges):
        if level != "ad":
            part(bucket, "d", f"edge{n}", edge)
            continue
        weeks, days = week_split(*edge)
        if weeks:
            part(bucket, "w", f"weeks{n}", weeks)
        for k, span in enumerate(days):
            part(raw, "", f"days{n}_{k}", span)
    return " UNION ALL ".join(parts)


def _spend_per_day(date_from: date, date_to: date) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date, currency, spend FROM marketing_insightrollup"
            " WHERE level = '' AND grain = 'd' AND date >= %s AND date <= %s ORDER BY date, currency",
            [date_from, date_to],
        )
        return [{"date": day, "currency": currency, "spend": spend} for day, currency, spend in cursor.fetchall()]


def _metrics(history: bool, *, per_lead: bool = False) -> str:
    """Leads, opportunities, won deals and won revenue summed over rows (…, stage_id, stages, n, value), or
    counted over `LeadFact` rows (one per lead) when `per_lead`."""
    opportunity = "stages && %(reached)s::bigint[]" if history else "stage_id = ANY(%(reached)s::bigint[])"
    is_won = "stage_id = ANY(%(won)s::bigint[])"
    n = "count(*)" if per_lead else "sum(n)"
    return (
        f"{n} AS leads, coalesce({n} FILTER (WHERE {opportunity}), 0) AS opportunities,"
        f" coalesce({n} FILTER (WHERE {is_won}), 0) AS won,"
        f" coalesce(sum(value) FILTER (WHERE {is_won}), 0) AS revenue"
    )


def _lead_parts(level: str, date_from: date, date_to: date, params: dict) -> tuple[str, str, str]:
    """The `UNION ALL`s of (key, stage_id, stages, n, value) rows that hold the period's leads per object of
    the level, per seller and per day (every attributed lead falls in one row of each). Per campaign,
    whole months come from the monthly buckets and the edge days from the lead rows; per ad set and ad,
    from the lead rows (per month and ad there are about as many buckets as leads); per seller, from the
    monthly and edge days' buckets; per day, from the daily buckets. Adds its values to `params`."""
    key = _FACT_KEY[level]
    params.update(date_from=date_from, date_to=date_to)
    months, edges = month_split(date_from, date_to)
    if months:
        params.update(month_from=months[0], month_to=months[1])
        for n, (a, b) in enumerate(edges):
            params.update({f"edge{n}_from": a, f"edge{n}_to": b})
    whole = "{column} >= %(date_from)s AND {column} <= %(date_to)s"
    in_months = "date >= %(month_from)s AND date <= %(month_to)s"
    at_edges = [f"{{column}} >= %(edge{n}_from)s AND {{column}} <= %(edge{n}_to)s" for n in range(len(edges))]
    bucket = "SELECT {what}, stage_id, stages, count, value FROM marketing_leadrollup WHERE level = '{level}' AND "
    fact = f"SELECT {key}, stage_id, stages, 1, value FROM marketing_leadfact WHERE "  # noqa: S608 (constant names)
    if level == "campaign" and months:
        parts = [bucket.format(what="key", level="campaign") + "grain = 'm' AND " + in_months]
        parts += [fact + edge.format(column="day") for edge in at_edges]
    else:
        parts = [fact + whole.format(column="day")]  # (_object_rows counts these rows directly)
    seller = bucket.format(what="seller_id", level="seller")
    if months:
        sellers = [seller + "grain = 'm' AND " + in_months]
        sellers += [seller + "grain = 'd' AND " + edge.format(column="date") for edge in at_edges]
    else:
        sellers = [seller + "grain = 'd' AND " + whole.format(column="date")]
    days = bucket.format(what="date", level="day") + "grain = 'd' AND " + whole.format(column="date")
    return " UNION ALL ".join(parts), " UNION ALL ".join(sellers), days


def _seller_and_day_groups(level, date_from, date_to, won: list[int], reached: list[int], history: bool):
    """The period's leads per seller and per day of creation, in one query: ([seller metrics], [day
    metrics])."""
    params = {"reached": reached, "won": won}
    _objects, sellers, days = _lead_parts(level, date_from, date_to, params)
    metrics = _metrics(history)
    sql = f"""
        WITH seller (seller_id, stage_id, stages, n, value) AS ({sellers}),
             day (date, stage_id, stages, n, value) AS ({days})
        SELECT 2, seller_id, NULL::date, {metrics} FROM seller GROUP BY seller_id
        UNION ALL SELECT 3, NULL, date, {metrics} FROM day GROUP BY date
    """  # noqa: S608 (constant parts, values as parameters)
    by_seller, by_day = [], []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for group, seller_id, day, leads, opportunities, won_count, revenue in cursor.fetchall():
            figures = {"leads": leads, "opportunities": opportunities, "won": won_count, "revenue": revenue}
            if group == 2:
                by_seller.append({"seller_id": seller_id or None, **figures})
            else:
                by_day.append({"day": day, **figures})
    return by_seller, by_day


_OBJECTS = {
    "campaign": "SELECT o.id, o.meta_id, o.name, o.status, '' FROM marketing_campaign AS o",
    "adset": "SELECT o.id, o.meta_id, o.name, o.status, p.name FROM marketing_adset AS o"
    " JOIN marketing_campaign AS p ON p.id = o.campaign_id",
    "ad": "SELECT o.id, o.meta_id, o.name, o.status, p.name FROM marketing_ad AS o"
    " JOIN marketing_adset AS p ON p.id = o.adset_id",
}

# The columns the rows can be sorted by (the query string's `sort`, "-" first for descending), as SQL over
# the `row` relation of _object_rows. ROI, cost per lead and per won deal are sorted by their exact value
# and those without one ("—") come last either way.
SORTS = {
    "name": 'lower(name) COLLATE "C"',
    "spend": "spend",
    "clicks": "clicks",
    "leads": "leads",
    "opportunities": "opportunities",
    "won": "won",
    "revenue": "revenue",
    "roi": "CASE WHEN spend <> 0 AND currency IN ('', %(company)s) THEN (revenue - spend) / spend END",
    "cpl": "spend / NULLIF(leads, 0)",
    "cpa": "spend / NULLIF(won, 0)",
}
DEFAULT_SORT = "-spend"
# Ties (and the default order): biggest spend first, then most leads, then by name; the key makes pages
# stable.
_TIES = 'spend DESC, leads DESC, lower(name) COLLATE "C", key, currency'


def sort_choice(value: str) -> str:
    """`value` if it names a sortable column ("roi", "-spend"), else the default order."""
    return value if value.removeprefix("-") in SORTS else DEFAULT_SORT


def _object_rows(
    *, level, date_from, date_to, won, reached, history, company_currency, sort, page, per_page
) -> tuple[list[tuple], int, int]:
    """One page of the level's objects that spent or brought leads in the period, with their figures, in
    one query: spend summed from the buckets, leads from the lead rows or buckets, joined to the objects'
    names (leads naming an object not synced yet get a row of their own, named by its Meta id), ranked in
    the chosen order and cut to the page (the last one when `page` is past it). Returns (rows, the number
    of rows over all pages, the page's number)."""
    params: dict = {"reached": reached, "won": won, "company": company_currency}
    spend = _spend_parts(level, date_from, date_to, params)
    got, _sellers, _days = _lead_parts(level, date_from, date_to, params)
    metrics = _metrics(history)
    got = f"SELECT key, {metrics} FROM ({got}) AS part (key, stage_id, stages, n, value) GROUP BY key"  # noqa: S608 (constant parts)
    if level != "campaign" or not month_split(date_from, date_to)[0]:
        # the lead rows alone (one per lead): counted, not summed, which spares a column per row
        metrics = _metrics(history, per_lead=True)
        got = (
            f"SELECT {_FACT_KEY[level]} AS key, {metrics} FROM marketing_leadfact"  # noqa: S608 (constant names)
            " WHERE day >= %(date_from)s AND day <= %(date_to)s GROUP BY 1"
        )
    column = sort_choice(sort)
    direction = "DESC" if column.startswith("-") else "ASC"
    order = f"{SORTS[column.removeprefix('-')]} {direction} NULLS LAST, {_TIES}"
    params.update(page=max(page, 1), per_page=per_page or 2**31 - 1)
    objects = _OBJECTS[level]
    sql = f"""
        WITH spend AS (
            SELECT object_id, currency, sum(spend) AS spend, sum(impressions)::bigint AS impressions,
                   sum(clicks)::bigint AS clicks
              FROM ({spend}) AS part (object_id, currency, spend, impressions, clicks) GROUP BY 1, 2
        ), got AS ({got}
        ), object (id, meta_id, name, status, parent) AS ({objects}
        ), row AS (
            SELECT coalesce(o.meta_id, g.key) AS key, coalesce(o.name, g.key) AS name,
                   coalesce(o.status, '') AS status, coalesce(o.parent, '') AS parent,
                   coalesce(s.currency, '') AS currency, coalesce(s.spend, 0) AS spend,
                   coalesce(s.impressions, 0) AS impressions, coalesce(s.clicks, 0) AS clicks,
                   coalesce(g.leads, 0) AS leads, coalesce(g.opportunities, 0) AS opportunities,
                   coalesce(g.won, 0) AS won, coalesce(g.revenue, 0) AS revenue
              FROM (object AS o LEFT JOIN spend AS s ON s.object_id = o.id)
                   FULL JOIN got AS g ON g.key = o.meta_id
             WHERE (s.object_id IS NOT NULL OR g.key IS NOT NULL) AND (o.id IS NOT NULL OR g.key <> '')
        ), ranked AS (
            SELECT row.*, row_number() OVER (ORDER BY {order}) AS n, count(*) OVER () AS total FROM row
        ), shown AS (
            SELECT ranked.*, least(%(page)s, greatest(ceil(total / %(per_page)s::numeric)::int, 1)) AS page
              FROM ranked
        )
        SELECT key, name, status, parent, currency, spend, impressions, clicks, leads, opportunities, won,
               revenue, total, page
          FROM shown
         WHERE n > (page - 1)::bigint * %(per_page)s AND n <= page::bigint * %(per_page)s
         ORDER BY n
    """  # noqa: S608 (constant parts, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return [], 0, 1
    return [row[:12] for row in rows], rows[0][12], rows[0][13]
