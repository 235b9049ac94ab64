"""Avatars tell people apart: initials plus a colour per person, stable, and a disambiguating letter when
two people of the company share initials (bug 2 of issue 7: "SS" for Sam Seller and Sara Seller)."""

import re

import pytest

from crm.avatars import PALETTE, Avatar, company_avatars
from crm.tests.factories import LeadFactory
from tenants.models import Role

pytestmark = pytest.mark.django_db

AVATAR = re.compile(r'<span class="avatar avatar-c(\d+)"[^>]*>([^<]+)</span>')


def test_two_sellers_with_the_same_initials_get_different_avatars_on_the_board(
    tenant, acme, owner, make_member, client_for
):
    sam = make_member(acme, Role.SELLER, full_name="Sam Seller")
    sara = make_member(acme, Role.SELLER, full_name="Sara Seller")
    LeadFactory(first_name="Lead", last_name="Sam", seller=sam.user)
    LeadFactory(first_name="Lead", last_name="Sara", seller=sara.user)

    body = client_for(owner).get("/pipeline/").content.decode()

    avatars = set(AVATAR.findall(body))
    assert len(avatars) == 2
    (colour_a, label_a), (colour_b, label_b) = sorted(avatars)
    assert colour_a != colour_b
    assert label_a != label_b
    assert {label_a, label_b} == {"SSm", "SSr"}


def test_an_avatar_is_stable_and_its_colour_comes_from_the_user_id():
    avatars = company_avatars([(7, "Ana Ruiz", "ana@x.test"), (9, "Bo Lind", "")])

    assert avatars[7] == Avatar(label="AR", colour=7 % len(PALETTE), name="Ana Ruiz")
    assert avatars[9].label == "BL"
    assert company_avatars([(9, "Bo Lind", ""), (7, "Ana Ruiz", "ana@x.test")]) == avatars


def test_people_with_the_same_initials_differ_in_colour_even_when_their_ids_share_one():
    size = len(PALETTE)
    avatars = company_avatars([(1, "Sam Seller", ""), (1 + size, "Sara Seller", ""), (1 + 2 * size, "Sam Smith", "")])

    assert len({avatar.colour for avatar in avatars.values()}) == 3
    assert len({avatar.label for avatar in avatars.values()}) == 3
    assert avatars[1].colour == 1  # the first keeps the colour of its id


def test_same_first_names_fall_back_to_a_number_and_an_email_only_user_gets_its_letters():
    avatars = company_avatars([(3, "Sam Seller", ""), (4, "Sam Seller", ""), (5, "", "zoe@x.test")])

    assert {avatars[3].label, avatars[4].label} == {"SS1", "SS2"}
    assert avatars[5].label == "ZX"
