"""Invitations: an owner invites someone by email; the person opens the link, sets a password and is in;
the owner sees them on the Staff page as an active member with the role given."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tenants.models import Invitation, Membership, Role
from tenants.services_invitations import invitation_url

pytestmark = pytest.mark.browser


def test_an_owner_invites_a_person_who_sets_a_password_and_joins(site, people, person, screenshot):
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    invitee_email = people.email("invitee")
    owner_context = person()
    people.sign_in(owner_context, owner, "acme")
    staff = owner_context.new_page()
    try:
        # given the owner on the Staff page
        staff.goto(site.url("acme", "/staff/"))

        # when she invites a new person as marketing
        staff.get_by_role("link", name="Invite someone").click()
        staff.get_by_label("Email").fill(invitee_email)
        staff.get_by_label("Role").select_option(Role.MARKETING)
        staff.get_by_role("button", name="Send the invitation").click()

        # then the invitation waits on the Staff page
        expect(staff.locator("#messages")).to_contain_text(f"Invitation sent to {invitee_email}.")
        expect(staff.locator(f'tr[data-invitation="{invitee_email}"]')).to_contain_text("Marketing")
        screenshot(staff, "staff-invitation")

        # when the person opens the emailed link (built here as the email builds it)
        def link_path() -> str:
            invitation = Invitation.objects.get(email=invitee_email)
            return urlsplit(invitation_url(invitation)).path

        invitee = person().new_page()
        invitee.goto(site.url("acme", people.committed(link_path)))
        expect(invitee.locator("main h1")).to_have_text("Join Acme Test")

        # and sets a name and a password
        invitee.get_by_label("Full name").fill("Iris Invited")
        invitee.get_by_label("Password", exact=True).fill(people.password)
        invitee.get_by_label("Repeat the password").fill(people.password)
        invitee.get_by_test_id("join").click()

        # then she lands on acme's dashboard, signed in, as marketing
        expect(invitee.locator("main h1")).to_have_text("Welcome, Iris")
        expect(invitee.locator("main")).to_contain_text("You are signed in to Acme Test as marketing.")

        # and the owner sees her as an active member, the invitation gone
        staff.goto(site.url("acme", "/staff/"))
        row = staff.locator(f'tr[data-member="{invitee_email}"]')
        expect(row.locator(".pill")).to_have_text("Active")
        expect(row).to_contain_text("Marketing")
        expect(staff.locator(f'tr[data-invitation="{invitee_email}"]')).to_have_count(0)
        membership = people.committed(lambda: Membership.objects.get(user__email=invitee_email))
        assert (membership.role, membership.status) == (Role.MARKETING, "active")
    finally:
        people.committed(lambda: Invitation.objects.filter(email=invitee_email).delete())
