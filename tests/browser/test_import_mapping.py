"""The import's mapping step: a column the product does not recognise is mapped by hand, the preview
follows each choice at once, and the next file with the same columns comes mapped. A real worker runs it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm.importing.columns import headers_key
from crm.models import ImportJob, ImportMapping, Lead

pytestmark = pytest.mark.browser

CSV = "Cel.;Quién;Notas internas\n644 300 101;Marta;llamar\n644 300 102;Mateo;\n"
KEY = headers_key(["Cel.", "Quién", "Notas internas"])


@pytest.fixture
def no_remembered_mapping(leads):
    """The mapping this test confirms is remembered (committed): none before, none left after."""

    def forget():
        ImportMapping.objects.filter(headers_key=KEY).delete()

    leads.read(forget)
    yield
    leads.read(forget)


def upload(page, name: str) -> None:
    page.get_by_label("CSV file").set_input_files({"name": name, "mimeType": "text/csv", "buffer": CSV.encode()})
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("main h1")).to_have_text(f"Import of {name}")


def test_an_owner_maps_the_columns_of_a_file_and_the_mapping_is_remembered(
    site, worker, people, person, leads, no_remembered_mapping, screenshot
):
    # given an owner on the import page with a file whose headers the product does not know
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/leads/import/"))
    upload(page, "handmade.csv")

    # then the preview asks which column is the phone, and offers no import yet
    expect(page.get_by_test_id("no-phone")).to_be_visible()
    expect(page.get_by_test_id("confirm-import")).to_have_count(0)

    # when she says the first column is the phone and the second the first name
    page.get_by_label("Cel.").select_option("phone")
    expect(page.get_by_test_id("preview-summary")).to_contain_text("2 will be imported")
    page.get_by_label("Quién").select_option("first_name")
    expect(page.locator("table.import-preview thead")).to_contain_text("First name")
    page.get_by_label("Rows without a seller go to").select_option("unassigned")
    expect(page.get_by_label("Rows without a seller go to")).to_have_value("unassigned")
    screenshot(page, "import-mapping")

    # and confirms
    page.get_by_test_id("confirm-import").click()

    # then the worker imports both rows with the names from the mapped column
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "done")
    expect(progress.get_by_test_id("created")).to_have_text("2")
    imported = leads.read(lambda: list(Lead.objects.filter(phone__in=["+34644300101", "+34644300102"])))
    assert sorted((lead.first_name, lead.seller_id) for lead in imported) == [("Marta", None), ("Mateo", None)]

    # when she uploads another file with the same columns
    page.goto(site.url("acme", "/leads/import/"))
    upload(page, "handmade-2.csv")

    # then it comes mapped as she mapped the first one
    expect(page.get_by_label("Cel.")).to_have_value("phone")
    expect(page.get_by_label("Quién")).to_have_value("first_name")
    expect(page.get_by_label("Notas internas")).to_have_value("")
    expect(page.get_by_test_id("preview-summary")).to_contain_text("2 duplicates skipped")
    job = leads.read(lambda: ImportJob.objects.get(original_name="handmade-2.csv"))
    assert job.mapping == ["phone", "first_name", None]
