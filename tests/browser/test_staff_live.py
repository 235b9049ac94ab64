"""Registration and approval, live: owners' open Staff pages follow the pending requests without reloading."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenants.models import Membership, MembershipStatus, Role

pytestmark = pytest.mark.browser


def open_staff_page(site, people, person, owner):
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/staff/"))
    # Act only once the live connection is up, or an update could be sent before anyone listens.
    expect(page.locator("body")).to_have_attribute("data-ws", "open")
    # A reload would forget this, so it tells a live update from a fresh page.
    page.evaluate("window.sameDocument = true")
    return page


def same_document(page) -> bool:
    return page.evaluate("window.sameDocument === true")


def test_owners_see_a_registration_arrive_and_get_approved_live(site, people, person, screenshot):
    # given two owners of acme, each with the Staff page open in their own browser
    first_owner = people.member("owner1", "Oscar First", {"acme": "owner"})
    second_owner = people.member("owner2", "Olga Second", {"acme": "owner"})
    first = open_staff_page(site, people, person, first_owner)
    second = open_staff_page(site, people, person, second_owner)
    pending_before = int(first.locator("#pending-count").inner_text())
    expect(second.locator("#pending-count")).to_have_text(str(pending_before))

    # when a new person asks to join acme on the public registration page
    newcomer_email = people.email("newcomer")
    newcomer = person().new_page()
    newcomer.goto(site.url(None, "/register/"))
    newcomer.locator("#id_full_name").fill("Nina Newcomer")
    newcomer.locator("#id_email").fill(newcomer_email)
    newcomer.locator("#id_phone").fill("+34600000001")
    newcomer.locator("#id_tenant").select_option(label="Acme Test")
    newcomer.locator("#id_password1").fill(people.password)
    newcomer.locator("#id_password2").fill(people.password)
    newcomer.locator("main form button[type=submit]").click()
    expect(newcomer.locator("main h1")).to_have_text("Request received")

    # then both owners' badges count one more request, without reloading their pages
    expect(first.locator("#pending-count")).to_have_text(str(pending_before + 1))
    expect(second.locator("#pending-count")).to_have_text(str(pending_before + 1))
    expect(second.locator("#pending-count")).to_be_visible()
    assert same_document(first)
    assert same_document(second)

    # when the first owner opens the request and approves it as a seller
    first.locator('a[data-nav="tenants:staff"]').click()
    row = first.locator(f'tr[data-member="{newcomer_email}"]')
    expect(row.locator(".pill")).to_have_text("Pending approval")
    screenshot(first, "staff-pending-request")
    row.locator("select[name=role]").select_option(Role.SELLER)
    row.get_by_role("button", name="Approve").click()

    # then his page confirms it, and the second owner's badge goes back down live
    expect(first.locator("#messages .toast-success")).to_have_text("Nina Newcomer can now sign in.×")
    expect(first.locator(f'tr[data-member="{newcomer_email}"] .pill')).to_have_text("Active")
    expect(first.locator("#pending-count")).to_have_text(str(pending_before))
    expect(second.locator("#pending-count")).to_have_text(str(pending_before))
    assert same_document(second)
    membership = Membership.objects.get(user__email=newcomer_email, tenant__slug="acme")
    assert (membership.status, membership.role, membership.decided_by) == (
        MembershipStatus.ACTIVE,
        Role.SELLER,
        first_owner,
    )

    # when the newcomer signs in on acme
    newcomer.goto(site.url("acme", "/"))
    newcomer.locator("#id_email").fill(newcomer_email)
    newcomer.locator("#id_password").fill(people.password)
    newcomer.locator("main form button[type=submit]").click()

    # then she sees acme's dashboard with a seller's sidebar (no Staff page)
    expect(newcomer).to_have_url(site.url("acme", "/"))
    sidebar = newcomer.locator("nav.sidebar")
    expect(sidebar.locator('a[data-nav="crm:dashboard"]')).to_be_visible()
    expect(sidebar.locator('a[data-nav="tenants:staff"]')).to_have_count(0)
    expect(newcomer.locator("main h1")).to_contain_text("Nina")
