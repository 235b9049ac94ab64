"""Merging two leads of the same person: the owner finds the duplicate from the lead page, sees what the
kept lead will hold, merges, and the other lead's link now opens the kept one with both histories."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm.models import Lead, TimelineEntry
from crm.services.timeline import note_add

pytestmark = pytest.mark.browser


def test_an_owner_merges_two_leads_of_the_same_person(site, people, person, leads, screenshot):
    # given two leads of Marina, one with her phone and notes, the other from a fair with her email
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    first = leads.create(phone="+34 655 400 101", first_name="Marina", last_name="Montes", email="marina@example.com")
    second = leads.create(
        phone="+34 655 400 102", first_name="Marina", last_name="Montes", email="marina@example.com",
        company="Montes Viajes", expected_value=4200, utm_source="fair",
    )  # fmt: skip
    leads.read(lambda: note_add(lead=Lead.objects.get(pk=second.pk), actor=owner, body="Met her at the fair"))
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()

    # when the owner opens the first lead and asks to merge it
    page.goto(site.url("acme", f"/leads/{first.pk}/"))
    page.get_by_test_id("lead-menu").locator("summary").click()
    page.get_by_role("link", name="Merge with another lead…").click()

    # then the duplicate with the same email is offered
    candidate = page.locator(f'[data-testid="merge-candidates"] tr[data-lead="{second.pk}"]')
    expect(candidate).to_contain_text("Marina Montes")
    candidate.get_by_role("link", name="Merge with this one").click()

    # and the confirmation says what the kept lead takes from the other
    plan = page.get_by_test_id("merge-plan")
    expect(plan).to_contain_text("Montes Viajes")
    screenshot(page, "merge-confirm")

    # when she merges
    page.get_by_role("button", name="Merge the two leads").click()

    # then she is on the kept lead, which holds both histories and the other's facts
    expect(page).to_have_url(site.url("acme", f"/leads/{first.pk}/"))
    expect(page.locator("#messages")).to_contain_text("The two leads are now one")
    expect(page.locator("#timeline")).to_contain_text("Met her at the fair")
    expect(page.locator("#timeline")).to_contain_text("Merged with Marina Montes")
    expect(page.locator("#lead-summary")).to_contain_text("Montes Viajes")

    # and the other lead's old link opens the kept one
    page.goto(site.url("acme", f"/leads/{second.pk}/"))
    expect(page).to_have_url(site.url("acme", f"/leads/{first.pk}/"))
    kept = leads.read(lambda: Lead.objects.get(pk=first.pk))
    assert (kept.company, kept.utm_source, kept.expected_value) == ("Montes Viajes", "fair", 4200)
    assert not leads.read(lambda: Lead.objects.filter(pk=second.pk).exists())
    assert leads.read(lambda: TimelineEntry.objects.filter(lead_id=first.pk, kind="note").count()) == 1
