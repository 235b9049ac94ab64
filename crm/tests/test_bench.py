import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from crm.management.commands import bench_crm
from tenants.models import Domain, Membership, Tenant, User

pytestmark = pytest.mark.django_db


def bench_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'bench%%'")
        return [row[0] for row in cursor.fetchall()]


def test_bench_measures_the_pages_that_exist_and_leaves_nothing_behind(monkeypatch):
    monkeypatch.setattr(
        bench_crm,
        "PAGES",
        [
            ("dashboard", "crm:dashboard", None),
            ("analytics", "crm:analytics", None),
            ("nowhere", "crm:no-such-page", "lead"),
        ],
    )
    out = StringIO()

    call_command("bench_crm", leads=200, requests=3, stdout=out)

    report = json.loads(out.getvalue())
    assert report["leads"] == 200
    assert report["timeline_entries"] >= 400
    assert report["results"]["nowhere"] == "missing"
    for key in ("dashboard", "analytics"):
        page = report["results"][key]
        assert page["status"] == 200
        assert page["queries"] >= 5
        assert 0 < page["median_ms"] <= page["p95_ms"]
    assert not Tenant.objects.filter(slug__startswith="bench-").exists()
    assert not Domain.objects.filter(domain__startswith="bench-").exists()
    assert not User.objects.filter(email__endswith=".bench").exists()
    assert not Membership.objects.filter(tenant__slug__startswith="bench-").exists()
    assert bench_schemas() == []


def test_query_counts_do_not_depend_on_the_number_of_leads(monkeypatch):
    monkeypatch.setattr(
        bench_crm, "PAGES", [("dashboard", "crm:dashboard", None), ("analytics", "crm:analytics", None)]
    )
    reports = []
    for leads in (20, 300):
        out = StringIO()
        call_command("bench_crm", leads=leads, requests=1, stdout=out)
        reports.append(json.loads(out.getvalue())["results"])

    assert reports[0]["dashboard"]["queries"] >= 5
    assert reports[0]["dashboard"]["queries"] == reports[1]["dashboard"]["queries"]
    assert reports[0]["analytics"]["queries"] == reports[1]["analytics"]["queries"]


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 21)]

    assert bench_crm.percentile(values, 0.95) == 19.0
    assert bench_crm.percentile([5.0], 0.95) == 5.0


def test_page_url_reports_missing_names_and_encodes_the_search():
    assert bench_crm.page_url("crm:no-such-page", None, lead_id=1, surname="x") is None
    assert bench_crm.page_url("crm:analytics", "search", lead_id=1, surname="Núñez de la Peña") == (
        "/analytics/?q=N%C3%BA%C3%B1ez+de+la+Pe%C3%B1a"
    )


def test_a_kept_bench_company_is_not_listed_for_public_registration(monkeypatch):
    # issue 7, bug 9: `bench_crm --keep` left its company in the registration form's list
    from tenants.selectors import listed_tenants

    monkeypatch.setattr(bench_crm, "PAGES", [("dashboard", "crm:dashboard", None)])
    out = StringIO()

    call_command("bench_crm", leads=20, requests=1, keep=True, stdout=out)

    slug = json.loads(out.getvalue())["tenant"]["slug"]
    tenant = Tenant.objects.get(slug=slug)
    try:
        assert tenant.listed is False
        assert not listed_tenants().filter(pk=tenant.pk).exists()
        page = Client(HTTP_HOST="localhost").get("/register/")
        assert page.status_code == 200
        assert "Acme Test" in page.content.decode()
        assert "Bench" not in page.content.decode()
    finally:
        user_ids = list(Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True))
        bench_crm.drop_bench_tenant(tenant, user_ids=user_ids)
    assert bench_schemas() == []
