"""A board that never misplaces a card (issue 7): at a laptop's width the closed stages are drop zones
always within reach while dragging, a move can be undone from its toast, and on a phone a card moves
from its menu, one stage shown at a time."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm.models import Lead, TimelineEntry

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def open_board(site, people, person, user, viewport):
    context = person(viewport=viewport)
    people.sign_in(context, user, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/pipeline/"))
    expect(page.locator("body")).to_have_attribute("data-ws", "open")
    return page


def settle(card) -> None:
    card.evaluate(
        "card => new Promise(done => { const wait = () => card.animated ? setTimeout(wait, 20) : done(); wait(); })"
    )


def test_a_card_dragged_from_the_first_column_to_the_won_zone_at_1440_px(site, people, person, leads, tenant):
    # given a seller with a lead in New, on a 1440 px wide board where Closed won is off-screen
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    stages = leads.stages()
    new, won = stages["new"], stages["won"]
    lead = leads.create(phone="+34 611 300 101", first_name="Wanda", last_name="Winner", seller=seller)
    page = open_board(site, people, person, seller, LAPTOP)
    card = page.locator(f"#card-{lead.pk}")
    won_column = page.locator(f"#column-{won.pk}")
    won_box = won_column.bounding_box()
    assert won_box["x"] + won_box["width"] > LAPTOP["width"]  # not (wholly) on screen
    zone = page.locator(f".board-dropzone[data-stage='{won.pk}']")
    expect(zone).to_be_hidden()

    # when she presses the card and starts dragging, the won and lost zones appear within the window
    settle(card)
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + box["height"] / 2 + 10, steps=5)
    expect(zone).to_be_visible()
    # near the window's right edge the board scrolls towards the columns beyond it
    assert page.locator("#board").evaluate("board => board.scrollLeft") == 0
    page.mouse.move(LAPTOP["width"] - 10, box["y"] + box["height"] / 2, steps=10)
    scrolled = 0
    for _ in range(50):
        scrolled = page.locator("#board").evaluate("board => board.scrollLeft")
        if scrolled > 100:
            break
        page.wait_for_timeout(100)
    assert scrolled > 100
    target = zone.bounding_box()
    assert target["x"] + target["width"] <= LAPTOP["width"]
    assert target["y"] + target["height"] <= LAPTOP["height"]
    # and releases it on Closed won
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2, steps=20)
    page.mouse.up()

    # then the lead is won, its card sits in the Closed won column, and the zones are gone
    expect(page.locator(f"#column-{won.pk} #card-{lead.pk}")).to_have_count(1)
    expect(page.locator(f"#column-{new.pk} #card-{lead.pk}")).to_have_count(0)
    expect(page.locator(f"#column-{won.pk} .board-count")).to_have_text("1")
    expect(zone).to_be_hidden()
    expect(page.locator("[data-testid=undo-toast]")).to_contain_text("Wanda Winner moved to Closed won.")
    assert leads.read(lambda: Lead.objects.get(pk=lead.pk).stage_id) == won.pk


def test_a_move_is_undone_from_its_toast(site, people, person, leads, tenant):
    # given an owner who drags a lead from Contacted to Negotiation on a wide board
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    stages = leads.stages()
    contacted, negotiation = stages["contacted"], stages["negotiation"]
    lead = leads.create(phone="+34 611 300 201", first_name="Ursula", last_name="Undo", stage="contacted")
    page = open_board(site, people, person, owner, {"width": 2000, "height": 900})
    card = page.locator(f"#card-{lead.pk}")
    settle(card)
    start = card.bounding_box()
    target = page.locator(f"#column-{negotiation.pk} .board-cards").bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 10, steps=5)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 40, steps=20)
    page.mouse.up()
    expect(page.locator(f"#column-{negotiation.pk} #card-{lead.pk}")).to_have_count(1)

    # when she clicks Undo in the toast
    page.locator("[data-testid=undo]").click()

    # then the card is back in Contacted, the toast says so, and the history keeps both
    expect(page.locator(f"#column-{contacted.pk} #card-{lead.pk}")).to_have_count(1)
    expect(page.locator(f"#column-{negotiation.pk} #card-{lead.pk}")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Move undone.")
    expect(page.locator("[data-testid=undo-toast]")).to_have_count(0)

    def state():
        moved = Lead.objects.get(pk=lead.pk)
        entries = list(TimelineEntry.objects.filter(lead=moved, kind="stage").order_by("created_at", "id"))
        return moved.stage_id, [(e.data["from_id"], e.data["to_id"], "undo_of" in e.data) for e in entries]

    assert leads.read(state) == (
        contacted.pk,
        [(contacted.pk, negotiation.pk, False), (negotiation.pk, contacted.pk, True)],
    )


def test_on_a_phone_the_board_shows_one_stage_and_a_card_moves_from_its_menu(site, people, person, leads, tenant):
    # given a seller on a 390 px phone with a lead in New
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    stages = leads.stages()
    new, interested = stages["new"], stages["interested"]
    lead = leads.create(phone="+34 611 300 301", first_name="Pedro", last_name="Phone", seller=seller)
    page = open_board(site, people, person, seller, PHONE)

    # then only New shows, with tabs for the stages
    expect(page.locator(f"#column-{new.pk}")).to_be_visible()
    expect(page.locator(f"#column-{interested.pk}")).to_be_hidden()
    expect(page.locator(f".board-tab[data-tab-stage='{new.pk}']")).to_have_attribute("aria-pressed", "true")

    # when he opens the card's menu and chooses Interested
    page.locator(f"#card-{lead.pk} [data-move-menu]").click()
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Interested").click()

    # then the card leaves New; the Interested tab shows it
    expect(page.locator(f"#column-{new.pk} #card-{lead.pk}")).to_have_count(0)
    expect(page.locator(f".board-tab[data-tab-stage='{interested.pk}'] .board-tab-count")).to_have_text("1")
    page.locator(f".board-tab[data-tab-stage='{interested.pk}']").click()
    expect(page.locator(f"#column-{interested.pk} #card-{lead.pk}")).to_be_visible()
    expect(page.locator(f"#column-{new.pk}")).to_be_hidden()
    assert leads.read(lambda: Lead.objects.get(pk=lead.pk).stage_id) == interested.pk
