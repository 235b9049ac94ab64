"""Signing in, choosing a language and moving between companies, as a person clicks them."""

from __future__ import annotations

import gettext
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FRENCH_CATALOG = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.mo"


def test_an_owner_signs_in_and_sees_the_dashboard(site, people, person):
    # given an owner of acme who is not signed in
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    page = person().new_page()

    # when she opens acme's site, and signs in on the page it sends her to
    page.goto(site.url("acme", "/"))
    expect(page).to_have_url(site.url("acme", "/login/?next=/"))
    page.locator("#id_email").fill(owner.email)
    page.locator("#id_password").fill(people.password)
    page.locator("main form button[type=submit]").click()

    # then she is on acme's dashboard, with the owner's sidebar
    expect(page).to_have_url(site.url("acme", "/"))
    expect(page.locator("h1")).to_have_text("Welcome, Olivia")
    expect(page.locator(".topbar .brand")).to_have_text("Acme Test")
    sidebar = page.locator("nav.sidebar")
    expect(sidebar).to_be_visible()
    expect(sidebar.locator('a[data-nav="crm:dashboard"]')).to_have_class(re.compile(r"\bactive\b"))
    expect(sidebar.locator('a[data-nav="tenants:staff"]')).to_be_visible()
    expect(sidebar.locator('a[data-nav="tenants:settings"]')).to_be_visible()


def test_a_wrong_password_keeps_the_person_on_the_sign_in_page(site, people, person):
    # given a seller of acme
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    page = person().new_page()
    page.goto(site.url("acme", "/login/"))

    # when he types a wrong password
    page.locator("#id_email").fill(seller.email)
    page.locator("#id_password").fill("not-my-password")
    page.locator("main form button[type=submit]").click()

    # then he stays on the sign-in page with an error, and has no sidebar
    expect(page.locator(".form-errors")).to_have_text("That email and password do not match an account.")
    expect(page).to_have_url(site.url("acme", "/login/"))
    expect(page.locator("nav.sidebar")).to_have_count(0)


def test_on_a_phone_the_sidebar_opens_from_the_menu_button(site, people, person, screenshot):
    # given a signed-in owner on a 390px wide phone
    owner = people.member("phone", "Paula Phone", {"acme": "owner"})
    context = person(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/"))
    sidebar = page.locator("nav.sidebar")
    expect(page.locator("h1")).to_have_text("Welcome, Paula")
    expect(sidebar).not_to_be_in_viewport()
    screenshot(page, "dashboard-mobile")

    # when she taps the menu button
    page.locator("[data-toggle-sidebar]").tap()

    # then the sidebar slides in
    expect(sidebar).to_be_in_viewport()
    expect(sidebar.locator('a[data-nav="tenants:staff"]')).to_be_visible()
    expect(page.locator("[data-toggle-sidebar]")).to_have_attribute("aria-expanded", "true")

    # when she taps the page beside it
    page.touchscreen.tap(360, 400)

    # then it slides away again
    expect(sidebar).not_to_be_in_viewport()
    expect(page.locator("[data-toggle-sidebar]")).to_have_attribute("aria-expanded", "false")


def test_choosing_french_in_the_header_shows_the_page_in_french(site, people, person):
    # given a signed-in seller reading acme's dashboard in English
    seller = people.member("lang", "Lea Lang", {"acme": "seller"})
    context = person()
    people.sign_in(context, seller, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # when she chooses FR in the header's language menu
    page.locator("#language-select").select_option("fr")

    # then the same page comes back in French, and the choice is kept on her account
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(site.url("acme", "/"))
    expect(page.locator("#language-select")).to_have_value("fr")
    if FRENCH_CATALOG.exists():
        with FRENCH_CATALOG.open("rb") as catalog:
            dashboard = gettext.GNUTranslations(catalog).gettext("Dashboard")
        assert dashboard != "Dashboard", "the French catalog does not translate the sidebar's Dashboard"
        expect(page.locator('nav.sidebar a[data-nav="crm:dashboard"]')).to_have_text(dashboard)
    seller.refresh_from_db()
    assert seller.language == "fr"


def test_a_member_of_two_companies_switches_from_the_header(site, people, person):
    # given a seller of acme who is also an owner of globex, signed in on acme only
    user = people.member("both", "Bea Both", {"acme": "seller", "globex": "owner"})
    context = person()
    people.sign_in(context, user, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/"))
    expect(page.locator(".topbar .brand")).to_have_text("Acme Test")

    # when she opens "Switch company" and picks Globex
    switcher = page.get_by_test_id("tenant-switcher")
    switcher.locator("summary").click()
    switcher.get_by_role("link", name="Globex Test").click()

    # then she is signed in on globex's dashboard, as its owner
    expect(page).to_have_url(site.url("globex", "/"))
    expect(page.locator(".topbar .brand")).to_have_text("Globex Test")
    expect(page.locator("h1")).to_have_text("Welcome, Bea")
    expect(page.locator(".content p.muted").first).to_have_text("You are signed in to Globex Test as owner.")
    expect(page.locator('nav.sidebar a[data-nav="tenants:staff"]')).to_be_visible()
    # and the switcher there offers the way back to acme
    back = page.get_by_test_id("tenant-switcher").locator("a", has_text="Acme Test")
    expect(back).to_have_attribute("href", "/switch/acme/")
