"""The lead list and the lead page, as a person uses them: search as you type, filters kept in the
address, and a note that joins the history without reloading."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm.models import TimelineEntry

pytestmark = pytest.mark.browser


def names(page) -> list[str]:
    return page.locator("#lead-results tbody tr td:nth-child(2) > a").all_inner_texts()


def test_an_owner_searches_without_accents_by_part_of_a_phone_and_filters_by_score(site, people, person, leads):
    # given four leads of acme, two of them called Núñez, and an owner on the lead list
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    leads.create(phone="+34 611 300 101", first_name="José", last_name="Núñez", score="hot", expected_value=900)
    leads.create(phone="+34 611 300 102", first_name="Ana", last_name="Núñez Ruiz", score="warm")
    leads.create(phone="+34 622 457 803", first_name="Pedro", last_name="Gómez", score="hot")
    leads.create(phone="+34 633 700 904", first_name="Marta", last_name="Ibáñez", score="cold")
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/leads/"))
    page.evaluate("window.sameDocument = true")
    expect(page.locator(".results-summary")).to_contain_text("4 leads")
    search = page.get_by_role("searchbox", name="Search", exact=True)

    # when she types "nunez", without accents, in the search box
    search.press_sequentially("nunez", delay=30)

    # then the list shows the two Núñez, newest first, and the address keeps the search
    expect(page).to_have_url(site.url("acme", "/leads/?q=nunez"))
    expect(page.locator(".results-summary")).to_contain_text("2 leads")
    assert names(page) == ["Ana Núñez Ruiz", "José Núñez"]

    # when she also chooses the Hot score
    page.locator("#filter_score").select_option("hot")

    # then only José is left, and the address holds both filters
    expect(page).to_have_url(site.url("acme", "/leads/?q=nunez&score=hot"))
    expect(page.locator(".results-summary")).to_contain_text("1 lead")
    assert names(page) == ["José Núñez"]
    expect(page.locator("#lead-results tbody tr").first.locator("td").nth(2)).to_have_text("+34 611 30 01 01")

    # when she replaces the search by part of a phone number, typed with a space
    search.fill("")
    search.press_sequentially("457 8", delay=30)

    # then the hot lead with that number is the one listed
    expect(page).to_have_url(site.url("acme", "/leads/?q=457%208&score=hot"))
    expect(page.locator(".results-summary")).to_contain_text("1 lead")
    assert names(page) == ["Pedro Gómez"]
    # all without leaving the page
    assert page.evaluate("window.sameDocument === true")

    # when she opens that address afresh (a bookmark, a shared link)
    page.goto(page.url)

    # then the filters come back filled in, with the same rows
    expect(page.get_by_role("searchbox", name="Search", exact=True)).to_have_value("457 8")
    expect(page.locator("#filter_score")).to_have_value("hot")
    assert names(page) == ["Pedro Gómez"]


def test_a_note_added_on_the_lead_page_tops_the_history_without_reloading(site, people, person, leads, tenant):
    # given a seller on the page of one of his leads, whose history holds its creation
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    lead = leads.create(phone="+34 611 300 201", first_name="Nora", last_name="Notes", seller=seller, actor=seller)
    context = person()
    people.sign_in(context, seller, "acme")
    page = context.new_page()
    page.goto(site.url("acme", f"/leads/{lead.pk}/"))
    page.evaluate("window.sameDocument = true")
    entries = page.locator("#timeline-entries > li.timeline-entry")
    expect(entries).to_have_count(1)
    expect(entries.first).to_have_attribute("data-kind", "created")

    # when he writes a note and adds it
    page.locator("#note-form").get_by_label("Note").fill("Called back: wants the quote by Friday.")
    page.get_by_role("button", name="Add note").click()

    # then the note is at the top of the history, with his name, and the form is empty again
    expect(entries).to_have_count(2)
    expect(entries.first).to_have_attribute("data-kind", "note")
    expect(entries.first.locator(".timeline-text")).to_have_text("Called back: wants the quote by Friday.")
    expect(entries.first.locator(".timeline-meta")).to_contain_text("Sam Seller")
    expect(entries.nth(1)).to_have_attribute("data-kind", "created")
    expect(page.locator("#note-form").get_by_label("Note")).to_have_value("")
    assert page.evaluate("window.sameDocument === true")
    # and it is saved
    note = TimelineEntry.objects.get(lead_id=lead.pk, kind=TimelineEntry.Kind.NOTE)
    assert (note.body, note.actor_id) == ("Called back: wants the quote by Friday.", seller.pk)
    expect(entries.first).to_have_attribute("id", f"entry-{note.pk}")
