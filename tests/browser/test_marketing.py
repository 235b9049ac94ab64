"""The marketing hub as people use it: an owner connects the sandbox Meta account, follows its ad account,
sees the hub's figures and drills into a campaign's leads; a visitor answers a public lead form and the
lead appears live on the board."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenants.models import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def marketing_cleanup(leads):
    """Deletes the marketing rows the server and the worker committed in acme during the test."""
    yield

    def delete():
        from marketing.models import AdAccount, AutomationRule, FormSubmission, LeadForm, MetaConnection, RuleFiring

        RuleFiring.objects.all().delete()
        FormSubmission.objects.all().delete()
        LeadForm.objects.all().delete()
        AutomationRule.objects.all().delete()
        AdAccount.objects.all().delete()  # campaigns, ad sets, ads and insights go with it
        MetaConnection.objects.all().delete()

    leads.read(delete)


def test_an_owner_connects_the_sandbox_sees_the_figures_and_drills_into_a_campaign(
    site, people, person, leads, worker, marketing_cleanup, screenshot
):
    owner = people.member("mowner", "Mara Owner", {"acme": Role.OWNER})
    # given leads that came from the sandbox's first campaign, one of them won
    won = leads.create(
        phone="+34611000201",
        stage="won",
        first_name="Wanda",
        last_name="Won",
        expected_value=Decimal("900.00"),
        meta_campaign_id="2384001",
        meta_adset_id="23850011",
        meta_ad_id="238600111",
        source="meta_ads",
    )
    open_lead = leads.create(
        phone="+34611000202",
        first_name="Otto",
        last_name="Open",
        meta_campaign_id="2384001",
        meta_adset_id="23850011",
        meta_ad_id="238600112",
        source="meta_ads",
    )
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()

    # when she connects the sandbox account and follows its ad account
    page.goto(site.url("acme", "/marketing/meta/"))
    page.get_by_test_id("meta-sandbox").click()
    expect(page.get_by_test_id("meta-status")).to_contain_text("Connected as Demo Marketing")
    page.get_by_label("Demo ads account · act_1000000001 · EUR").check()
    page.get_by_role("button", name="Follow these accounts").click()
    expect(page.locator("#messages")).to_contain_text("Ad accounts saved")

    # then once the worker has synced, the hub shows the month's spend and the leads it brought
    def synced():
        from marketing.models import Insight

        return Insight.objects.count()

    deadline = timezone.now() + timezone.timedelta(seconds=30)
    while leads.read(synced) < 360 and timezone.now() < deadline:
        page.wait_for_timeout(250)
    assert leads.read(synced) == 360
    page.goto(site.url("acme", "/marketing/"))
    spend = page.locator('[data-figure="spend"] .stat-value')
    expect(spend).to_contain_text("€")
    expect(page.locator('[data-figure="leads"] .stat-value')).to_have_text("2")
    expect(page.locator('[data-figure="won"] .stat-value')).to_have_text("1")
    row = page.locator('tr[data-key="2384001"]')
    expect(row).to_contain_text("Spring promotion")
    screenshot(page, "marketing-hub")

    # when she sorts the campaigns by won deals, the one that won comes first
    page.locator('th a[data-sort="won"]').click()
    expect(page.locator('th[aria-sort="descending"] a[data-sort="won"]')).to_be_visible()
    expect(page.locator("[data-testid=hub-rows] tbody tr").first).to_have_attribute("data-key", "2384001")

    # when she opens the campaign's leads from its figure
    row.locator('a[data-drill="leads"]').click()
    expect(page.locator(f'tr[data-lead="{won.pk}"]')).to_contain_text("Wanda Won")
    expect(page.locator(f'tr[data-lead="{open_lead.pk}"]')).to_contain_text("Otto Open")
    expect(page.locator("tr[data-lead]")).to_have_count(2)


def test_a_public_form_answer_appears_live_on_the_board(site, people, person, leads, marketing_cleanup):
    owner = people.member("mboard", "Bruno Board", {"acme": Role.OWNER})

    def make_form():
        from marketing.models import LeadForm

        return LeadForm.objects.create(
            name="Quote",
            slug="quote",
            title="Ask for a quote",
            fields=["first_name"],
            thank_you="Thanks! We will call you.",
        )

    leads.read(make_form)
    board = person(viewport={"width": 2000, "height": 900})
    people.sign_in(board, owner, "acme")
    board_page = board.new_page()
    board_page.goto(site.url("acme", "/pipeline/"))
    expect(board_page.locator("body")).to_have_attribute("data-ws", "open")
    board_page.evaluate("window.sameDocument = true")

    # when a visitor answers the form (as embedded on another site, with its UTM parameters)
    visitor = person().new_page()
    visitor.goto(site.url("acme", "/marketing/f/quote/?utm_source=newsletter&utm_campaign=winter"))
    visitor.get_by_label("Phone").fill("+34 611 000 303")
    visitor.get_by_label("First name").fill("Vera")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_test_id("form-thanks")).to_have_text("Thanks! We will call you.")

    # then the new lead is on the owner's board without a reload, with where it came from
    def created():
        from crm.models import Lead

        return Lead.objects.values("pk", "source", "utm_source", "utm_campaign").get(phone="+34611000303")

    lead = leads.read(created)
    assert (lead["source"], lead["utm_source"], lead["utm_campaign"]) == ("website", "newsletter", "winter")
    expect(board_page.locator(f"#card-{lead['pk']}")).to_contain_text("Vera")
    assert board_page.evaluate("window.sameDocument === true")


def test_an_owner_creates_a_rule_previews_it_and_sees_it_fire_once(
    site, people, person, leads, worker, marketing_cleanup
):
    owner = people.member("mrules", "Rita Rules", {"acme": Role.OWNER})

    def make_form():
        from marketing.models import LeadForm

        return LeadForm.objects.create(name="Rules form", slug="rules-form", fields=["first_name"])

    leads.read(make_form)
    earlier = leads.create(phone="+34611000404", first_name="Earl", source="website")
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()

    # when she creates a rule tagging the leads that arrive from a form
    page.goto(site.url("acme", "/marketing/rules/new/"))
    page.get_by_label("Name").fill("Tag web leads")
    page.get_by_label("When").select_option("lead_from_ad")
    page.get_by_label("Then").select_option("tag")
    page.locator("#id_tag").fill("web")
    page.get_by_role("button", name="Save").click()

    # then the dry run names the recent web lead, and nothing was done to it
    preview = page.get_by_test_id("rule-preview")
    expect(preview.locator(f'li[data-lead="{earlier.pk}"]')).to_contain_text("Earl")
    assert leads.read(lambda: list(earlier.tags.values_list("name", flat=True))) == []

    # when a visitor answers a form, the worker fires the rule on the new lead, once
    visitor = person().new_page()
    visitor.goto(site.url("acme", "/marketing/f/rules-form/"))
    visitor.get_by_label("Phone").fill("+34 611 000 505")
    visitor.get_by_label("First name").fill("Nora")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_test_id("form-thanks")).to_be_visible()

    def fired():
        from crm.models import Lead
        from marketing.models import RuleFiring

        lead = Lead.objects.get(phone="+34611000505")
        return list(lead.tags.values_list("name", flat=True)), RuleFiring.objects.filter(lead_id=lead.pk).count()

    deadline = timezone.now() + timezone.timedelta(seconds=20)
    while leads.read(fired)[1] == 0 and timezone.now() < deadline:
        page.wait_for_timeout(250)
    assert leads.read(fired) == (["web"], 1)
    page.goto(site.url("acme", "/marketing/rules/"))
    expect(page.get_by_test_id("firing-list").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("firing-list")).to_contain_text("Tag web leads")
