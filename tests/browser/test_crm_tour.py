"""An owner's tour of a busy pipeline: the board, the lead list, a lead's history and the seller
analytics, each showing what the database holds. With SCREENSHOTS=1 it also takes the README's pictures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db.models import Count, Sum
from playwright.sync_api import expect

from crm.models import Lead, Stage, TimelineEntry
from crm.selectors.dashboard import tenant_zone

pytestmark = pytest.mark.browser

LEADS = 48
# Wide enough for the six default columns side by side; the other pages fit a laptop's screen.
WIDE = {"width": 2000, "height": 1000}
LAPTOP = {"width": 1440, "height": 900}


def money(value) -> str:
    """An amount in euros as an English reader of a Spanish company sees it: 12.500,00 €."""
    english = f"{value:,.2f}"  # 12,500.00
    return english.replace(",", " ").replace(".", ",").replace(" ", ".") + "\xa0€"


def test_an_owner_tours_the_board_the_list_a_lead_and_the_analytics(site, people, person, leads, tenant, screenshot):
    # given an owner and two sellers of acme, with 48 leads of the last three months spread over the pipeline
    owner = people.member("owner", "Carmen Ruiz", {"acme": "owner"})
    sellers = [
        people.member("laura", "Laura Martín", {"acme": "seller"}),
        people.member("diego", "Diego Sánchez", {"acme": "seller"}),
    ]
    seeded = leads.seed(count=LEADS, sellers=[*sellers, owner], creator=owner, days=90, seed="browser-tour")
    assert len(seeded) == LEADS
    context = person(viewport=LAPTOP)
    people.sign_in(context, owner, "acme")
    page = context.new_page()

    # when she opens acme's site
    page.goto(site.url("acme", "/"))

    # then the dashboard sums up the open pipeline
    open_leads = Lead.objects.filter(stage__kind=Stage.Kind.OPEN).aggregate(n=Count("id"), total=Sum("expected_value"))
    pipeline = page.locator('[data-figure="pipeline-value"]')
    expect(pipeline.locator(".stat-value")).to_have_text(money(open_leads["total"]))
    expect(pipeline).to_contain_text(f"{open_leads['n']} open leads")
    screenshot(page, "dashboard")

    # when she opens the pipeline (on a wide screen)
    page.set_viewport_size(WIDE)
    page.locator('nav.sidebar a[data-nav="crm:board"]').click()

    # then each column counts its leads and sums their value
    expect(page.locator("body")).to_have_attribute("data-ws", "open")
    per_stage = {
        row["stage_id"]: row
        for row in Lead.objects.values("stage_id").annotate(n=Count("id"), total=Sum("expected_value")).order_by()
    }
    assert sum(row["n"] for row in per_stage.values()) == LEADS
    for stage_id, row in per_stage.items():
        column = page.locator(f"#column-{stage_id}")
        expect(column.locator(".board-count")).to_have_text(str(row["n"]))
        expect(column.locator(".board-total")).to_contain_text(money(row["total"]))
        expect(column.locator(".board-card")).to_have_count(min(row["n"], 20))
    screenshot(page, "board")

    # when she opens the lead list (on a smaller screen)
    page.set_viewport_size(LAPTOP)
    page.locator('nav.sidebar a[data-nav="crm:lead-list"]').click()

    # then it holds every lead, newest first
    expect(page.locator(".results-summary")).to_contain_text(f"{LEADS} leads")
    newest = list(Lead.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    rows = page.locator("#lead-results tbody tr")
    expect(rows).to_have_count(LEADS)
    assert [int(pk) for pk in rows.evaluate_all("rows => rows.map(r => r.dataset.lead)")] == newest
    screenshot(page, "leads", full_page=False)

    # when she opens the open lead with the longest history
    busiest = (
        Lead.objects.filter(stage__kind=Stage.Kind.OPEN)
        .annotate(entries=Count("timeline"))
        .order_by("-entries", "-id")
        .values_list("pk", flat=True)[0]
    )
    page.locator(f'#lead-results tr[data-lead="{busiest}"] td:nth-child(2) > a').click()

    # then its page shows that history, newest first
    expect(page).to_have_url(site.url("acme", f"/leads/{busiest}/"))
    history = list(TimelineEntry.objects.filter(lead_id=busiest).order_by("-created_at", "-id"))
    entries = page.locator("#timeline-entries > li.timeline-entry")
    expect(entries).to_have_count(len(history))
    assert entries.evaluate_all("items => items.map(i => i.dataset.kind)") == [entry.kind for entry in history]
    screenshot(page, "lead-detail")

    # when she opens the seller analytics
    page.locator('nav.sidebar a[data-nav="crm:analytics"]').click()

    # then each seller's row counts the leads assigned to them in the period shown, under two charts
    expect(page.locator("main h1")).to_have_text("Seller analytics")
    start = date.fromisoformat(page.locator("#id_date_from").input_value())
    end = date.fromisoformat(page.locator("#id_date_to").input_value())
    zone = tenant_zone(tenant)
    in_range = Lead.objects.filter(
        created_at__gte=datetime.combine(start, time.min, tzinfo=zone),
        created_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )
    for member in [*sellers, owner]:
        row = page.locator(f'[data-testid="seller-table"] tr[data-seller="{member.pk}"]')
        expect(row.locator("td").first).to_have_text(member.full_name)
        expect(row.locator("td").nth(1)).to_have_text(str(in_range.filter(seller_id=member.pk).count()))
    expect(page.locator("#chart-revenue")).to_be_visible()
    expect(page.locator("#chart-leads")).to_be_visible()
    # Chart.js animates the bars in: let it finish before the picture.
    page.wait_for_function(
        "() => window.Chart && Object.values(Chart.instances).length === 2"
        " && Object.values(Chart.instances).every(chart => !Chart.animator.running(chart))"
    )
    screenshot(page, "analytics")
