"""Importing leads from a CSV file: upload, preview with the bad row marked, confirm, and follow the
worker's progress to the summary. A real Celery worker runs the import."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm.models import ImportJob, Lead

pytestmark = pytest.mark.browser

CSV = """Name,Phone,Email,Company,Score,Value
Irene Ibarra,+34 644 100 201,irene@example.com,Ibarra Reformas,hot,1200
Iván Iglesias,644 100 202,,,warm,
Inés Izquierdo,+34 644 100 203,ines@example.com,,cold,300
Isabel Ortega,0034 644 100 204,isabel@example.com,Ortega y Hijos,warm,850
Ignacio Ruiz,+34 644 100 205,,Ruiz Transportes,hot,2400
Iris Navarro,644100206,iris@example.com,,,150
Izan Bad,12345,izan@example.com,,hot,
"""


def test_an_owner_imports_a_csv_with_one_bad_row_and_follows_it_to_the_end(
    site, worker, people, person, leads, tenant, screenshot
):
    # given an owner of acme on the import page
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/leads/"))
    page.get_by_role("link", name="Import CSV").click()
    expect(page.locator("main h1")).to_have_text("Import leads")

    # when she uploads a file of seven leads whose last phone is not a phone number
    page.get_by_label("CSV file").set_input_files(
        {"name": "fair-contacts.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    page.get_by_role("button", name="Upload and preview").click()

    # then the preview maps the columns and marks the bad row with its reason, the others as importable
    expect(page.locator("main h1")).to_have_text("Import of fair-contacts.csv")
    job = ImportJob.objects.get(original_name="fair-contacts.csv")
    expect(page).to_have_url(site.url("acme", f"/leads/import/{job.pk}/"))
    rows = page.locator("table.import-preview tbody tr")
    expect(rows).to_have_count(7)
    expect(page.locator("table.import-preview tbody tr.row-ok")).to_have_count(6)
    bad = page.locator("table.import-preview tbody tr.row-error")
    expect(bad).to_have_count(1)
    expect(bad).to_have_attribute("data-row", "8")
    expect(bad.locator(".error")).to_have_text("“12345” is not a valid phone number.")
    screenshot(page, "import-preview")
    assert job.status == ImportJob.Status.PREVIEW
    assert not Lead.objects.filter(source=Lead.Source.IMPORT).exists()

    # and the button says how many leads the file will give, the bad row being skipped
    expect(page.get_by_test_id("preview-summary")).to_contain_text("6 will be imported")
    expect(page.locator("main")).to_contain_text("The other row is skipped.")

    # when she confirms
    page.get_by_role("button", name="Import 6 leads").click()

    # then the progress page follows the worker to the end, with exact counts
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "done")
    expect(progress.get_by_test_id("processed")).to_have_text("7 / 7")
    expect(progress.get_by_test_id("created")).to_have_text("6")
    expect(progress.get_by_test_id("duplicates")).to_have_text("0")
    expect(progress.get_by_test_id("errors")).to_have_text("1")
    expect(progress).to_contain_text("Finished: 6 leads created.")
    not_imported = progress.locator("table.import-errors tbody tr")
    expect(not_imported).to_have_count(1)
    expect(not_imported.locator("td")).to_have_text(["8", "12345", "“12345” is not a valid phone number."])
    screenshot(page, "import")
    # and the six leads exist, normalised, marked as imported
    imported = Lead.objects.filter(source=Lead.Source.IMPORT).order_by("phone")
    assert [(lead.phone, lead.full_name, lead.score) for lead in imported] == [
        ("+34644100201", "Irene Ibarra", "hot"),
        ("+34644100202", "Iván Iglesias", "warm"),
        ("+34644100203", "Inés Izquierdo", "cold"),
        ("+34644100204", "Isabel Ortega", "warm"),
        ("+34644100205", "Ignacio Ruiz", "hot"),
        ("+34644100206", "Iris Navarro", ""),
    ]

    # when she follows the link to the imported leads
    progress.get_by_role("link", name="See the imported leads").click()

    # then the lead list shows them
    expect(page).to_have_url(site.url("acme", "/leads/?source=import"))
    expect(page.locator(".results-summary")).to_contain_text("6 leads")
