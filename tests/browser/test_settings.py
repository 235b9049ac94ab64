"""The owners' Settings page: a credential typed in once is shown back masked, never in full."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenants.models import Tenant
from tenants.vault import vault_get

pytestmark = pytest.mark.browser

API_KEY = "sk-test-4f9c2a7e1b3d5f60XYZ9"


def test_an_owner_stores_an_api_key_and_sees_only_its_last_characters(site, people, person, screenshot):
    # given a signed-in owner of acme on the Settings page
    owner = people.member("settings", "Sofia Settings", {"acme": "owner"})
    people.credential("acme", "openai")
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/settings/"))
    openai = page.locator('tr[data-credential="openai"]')

    # when she sets up OpenAI with an API key and a model
    openai.get_by_role("link").click()
    expect(page).to_have_url(site.url("acme", "/settings/credentials/openai/"))
    page.locator("#id_api_key").fill(API_KEY)
    page.locator("#id_model").fill("gpt-4o-mini")
    page.locator("main form button[type=submit]").click()

    # then the Settings page confirms it and shows the key masked, the model in full
    expect(page).to_have_url(site.url("acme", "/settings/"))
    expect(page.locator("#messages .toast-success")).to_contain_text("OpenAI credentials saved.")
    expect(openai.locator("dd code")).to_have_text(["••••••••XYZ9", "gpt-4o-mini"])
    assert API_KEY not in page.content()
    screenshot(page, "settings-credentials")
    # and the edit form does not send the key back either
    openai.get_by_role("link", name="Replace").click()
    expect(page.locator("#id_api_key")).to_have_value("")
    assert API_KEY not in page.content()
    assert vault_get(tenant=Tenant.objects.get(slug="acme"), kind="openai") == {
        "api_key": API_KEY,
        "model": "gpt-4o-mini",
    }
