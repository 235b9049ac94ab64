"""The pipeline board, live: a card dragged to another column moves on the boards of everyone allowed to
see it, without reloading, and on no one else's."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

from crm.models import Lead, LostReason, TimelineEntry
from tenants.models import Tenant
from tests.browser.conftest import DroppableSocket

pytestmark = pytest.mark.browser

# Wide enough for the six default columns side by side, so every drop target is on screen.
BOARD_VIEWPORT = {"width": 2000, "height": 900}


def open_board(site, people, person, user):
    context = person(viewport=BOARD_VIEWPORT)
    people.sign_in(context, user, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/pipeline/"))
    # Act only once the live connection is up, or an update could be sent before anyone listens.
    expect(page.locator("body")).to_have_attribute("data-ws", "open")
    # A reload would forget this, so it tells a live update from a fresh page.
    page.evaluate("window.sameDocument = true")
    return page


def same_document(page) -> bool:
    return page.evaluate("window.sameDocument === true")


def drag(page, card, column) -> None:
    """Drags `card` into `column`'s list the way a hand does: press, move in small steps, release. SortableJS
    ignores a press on a card still sliding into place (its 150 ms animation), so wait for it to settle."""
    card.evaluate(
        "card => new Promise(done => { const wait = () => card.animated ? setTimeout(wait, 20) : done(); wait(); })"
    )
    start, target = card.bounding_box(), column.locator(".board-cards").bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 10, steps=5)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 40, steps=20)
    page.mouse.up()


def counts(page) -> dict[str, str]:
    """{stage id: the count its column shows}."""
    return dict(
        page.locator(".board-column").evaluate_all(
            "columns => columns.map(c => [c.dataset.stage, c.querySelector('.board-count').textContent])"
        )
    )


def test_a_card_dragged_by_an_owner_moves_live_on_the_boards_that_show_it_and_nowhere_else(
    site, people, person, leads, tenant
):
    # given two owners, the lead's seller and another seller of acme, each with the board open
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    second_owner = people.member("owner2", "Oscar Owner", {"acme": "owner"})
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    other = people.member("other", "Otto Other", {"acme": "seller"})
    stages = leads.stages()
    new, contacted = stages["new"], stages["contacted"]
    lead = leads.create(
        phone="+34 611 200 101", first_name="Lucía", last_name="Board", company="Drag SL", expected_value=1500,
        seller=seller, actor=owner,
    )  # fmt: skip
    leads.create(phone="+34 611 200 102", first_name="Oscar", last_name="Own", expected_value=700, seller=other)
    owner_page = open_board(site, people, person, owner)
    second_owner_page = open_board(site, people, person, second_owner)
    seller_page = open_board(site, people, person, seller)
    other_page = open_board(site, people, person, other)
    card = f"#card-{lead.pk}"
    expect(seller_page.locator(f"#column-{new.pk} {card}")).to_be_visible()
    expect(seller_page.locator(f"#column-{new.pk} .board-count")).to_have_text("1")
    expect(seller_page.locator(f"#column-{contacted.pk} .board-count")).to_have_text("0")
    expect(other_page.locator(card)).to_have_count(0)
    other_counts = counts(other_page)
    owner_new = int(owner_page.locator(f"#column-{new.pk} .board-count").inner_text())
    owner_contacted = int(owner_page.locator(f"#column-{contacted.pk} .board-count").inner_text())

    # when the owner drags the card from New to Contacted
    drag(owner_page, owner_page.locator(card), owner_page.locator(f"#column-{contacted.pk}"))

    # then it is in Contacted on her board, with both columns' counts and totals following
    expect(owner_page.locator(f"#column-{contacted.pk} {card}")).to_be_visible()
    expect(owner_page.locator(f"#column-{new.pk} {card}")).to_have_count(0)
    expect(owner_page.locator(f"#column-{new.pk} .board-count")).to_have_text(str(owner_new - 1))
    expect(owner_page.locator(f"#column-{contacted.pk} .board-count")).to_have_text(str(owner_contacted + 1))
    # and on the seller's board it moved too, without a reload: Contacted holds it, New is empty
    expect(seller_page.locator(f"#column-{contacted.pk} {card}")).to_be_visible()
    expect(seller_page.locator(f"#column-{new.pk} {card}")).to_have_count(0)
    expect(seller_page.locator(f"#column-{new.pk} .board-count")).to_have_text("0")
    expect(seller_page.locator(f"#column-{contacted.pk} .board-count")).to_have_text("1")
    # an English reader of a Spanish company: Spain's separators, cents kept
    expect(seller_page.locator(f"#column-{contacted.pk} .board-total")).to_have_text("1.500,00\xa0€")
    expect(seller_page.locator(f"#column-{new.pk} .board-empty")).to_be_visible()
    # and on the other owner's board as well
    expect(second_owner_page.locator(f"#column-{contacted.pk} {card}")).to_be_visible()
    expect(second_owner_page.locator(f"#column-{new.pk} .board-count")).to_have_text(str(owner_new - 1))
    expect(second_owner_page.locator(f"#column-{contacted.pk} .board-count")).to_have_text(str(owner_contacted + 1))
    assert same_document(owner_page)
    assert same_document(second_owner_page)
    assert same_document(seller_page)
    # and the other seller's board never shows it: his own lead stays where it was, counts unchanged
    expect(other_page.locator(card)).to_have_count(0)
    assert counts(other_page) == other_counts
    assert same_document(other_page)
    # and the move is saved, in the lead's history, by the owner
    moved = Lead.objects.select_related("stage").get(pk=lead.pk)
    assert moved.stage == contacted
    entry = TimelineEntry.objects.filter(lead=lead, kind=TimelineEntry.Kind.STAGE).get()
    assert (entry.actor_id, entry.data["from_id"], entry.data["to_id"]) == (owner.pk, new.pk, contacted.pk)


def test_a_card_dropped_on_lost_asks_why_and_keeps_the_reason(site, people, person, leads, tenant):
    # given a seller with one of his leads in Negotiation, on his board
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    stages = leads.stages()
    negotiation, lost = stages["negotiation"], stages["lost"]
    lead = leads.create(
        phone="+34 611 200 201", first_name="Pablo", last_name="Perdido", stage="negotiation", seller=seller
    )
    page = open_board(site, people, person, seller)
    card = page.locator(f"#card-{lead.pk}")
    dialog = page.locator("#lost-dialog")

    # when he drops it on Closed lost, and then cancels the question
    drag(page, card, page.locator(f"#column-{lost.pk}"))
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()

    # then the card goes back to Negotiation and nothing changed
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#column-{negotiation.pk} #card-{lead.pk}")).to_be_visible()
    assert Lead.objects.get(pk=lead.pk).stage_id == negotiation.pk

    # when he drops it on Closed lost again and gives a reason
    drag(page, card, page.locator(f"#column-{lost.pk}"))
    expect(dialog).to_be_visible()
    page.locator("#lost-reason").fill("Went with a competitor")
    dialog.get_by_role("button", name="Mark as lost").click()

    # then the card is in Closed lost, and the lead keeps why
    expect(page.locator(f"#column-{lost.pk} #card-{lead.pk}")).to_be_visible()
    expect(page.locator(f"#column-{lost.pk} .board-count")).to_have_text("1")
    expect(page.locator(f"#column-{negotiation.pk} .board-count")).to_have_text("0")
    assert same_document(page)
    moved = Lead.objects.get(pk=lead.pk)
    # "Went with a competitor" is a reason of the company's list: the lead keeps it in the seller's language.
    with translation.override(Tenant.objects.get(slug="acme").language):
        expected = LostReason.objects.get(key="competitor").display_name
    assert (moved.stage_id, moved.lost_reason) == (lost.pk, expected)
    assert moved.closed_at is not None


def test_a_board_whose_socket_dropped_catches_up_when_it_reconnects(site, people, person, leads):
    """A move made while the board's socket was down (a server restart closes it with 1012) is not heard; when
    the socket opens again every column re-fetches itself, without a reload."""
    from crm.services.leads import lead_move

    owner = people.member("owner", "Olivia Drop", {"acme": "owner"})
    stages = leads.stages()
    new, contacted = stages["new"], stages["contacted"]
    lead = leads.create(phone="+34 611 200 131", first_name="Dora", last_name="Drop")
    context = person(viewport=BOARD_VIEWPORT)
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    socket = DroppableSocket(page, "/ws/pipeline/")
    page.goto(site.url("acme", "/pipeline/"))
    expect(page.locator("#board-live")).to_have_attribute("data-ws", "open")
    page.evaluate("window.sameDocument = true")
    card = f"#card-{lead.pk}"
    expect(page.locator(f"#column-{new.pk} {card}")).to_be_visible()

    # While the board hears nothing, someone else moves the card
    socket.drop()
    leads.read(lambda: lead_move(actor=None, lead=Lead.objects.get(pk=lead.pk), stage=contacted))
    page.wait_for_timeout(500)
    expect(page.locator(f"#column-{new.pk} {card}")).to_be_visible()

    # When the socket is restarted, the board re-reads its columns
    socket.restart()
    expect(page.locator(f"#column-{contacted.pk} {card}")).to_be_visible()
    expect(page.locator(f"#column-{new.pk} {card}")).to_have_count(0)
    assert socket.opened == 2
    assert same_document(page)
