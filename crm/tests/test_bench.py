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
            ("dashboard", "crm:dashboard", None, bench_crm.BOTH),
            ("detail", "crm:lead-detail", "lead", bench_crm.BOTH),
            ("analytics", "crm:analytics", None, ("owner",)),
            ("nowhere", "crm:no-such-page", "lead", ("owner",)),
        ],
    )
    out = StringIO()

    call_command("bench_crm", leads=200, requests=3, stdout=out)

    report = json.loads(out.getvalue())
    assert report["leads"] == 200
    assert report["timeline_entries"] >= 400
    assert report["results"]["nowhere"] == {"owner": "missing"}
    assert set(report["results"]["dashboard"]) == {"owner", "seller"}
    assert set(report["results"]["analytics"]) == {"owner"}
    for key, role in (("dashboard", "owner"), ("dashboard", "seller"), ("detail", "seller"), ("analytics", "owner")):
        page = report["results"][key][role]
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
        bench_crm,
        "PAGES",
        [("dashboard", "crm:dashboard", None, bench_crm.BOTH), ("analytics", "crm:analytics", None, ("owner",))],
    )
    reports = []
    for leads in (20, 300):
        out = StringIO()
        call_command("bench_crm", leads=leads, requests=1, stdout=out)
        reports.append(json.loads(out.getvalue())["results"])

    for key, role in (("dashboard", "owner"), ("dashboard", "seller"), ("analytics", "owner")):
        assert reports[0][key][role]["queries"] >= 5
        assert reports[0][key][role]["queries"] == reports[1][key][role]["queries"]


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 21)]

    assert bench_crm.percentile(values, 0.95) == 19.0
    assert bench_crm.percentile([5.0], 0.95) == 5.0


def test_page_url_reports_missing_names_and_encodes_the_search():
    assert bench_crm.page_url("crm:no-such-page", None, lead_id=1, surname="x") is None
    assert bench_crm.page_url("crm:analytics", "search", lead_id=1, surname="Núñez de la Peña") == (
        "/analytics/?q=N%C3%BA%C3%B1ez+de+la+Pe%C3%B1a"
    )
    assert bench_crm.page_url("crm:lead-list", "?q={letter}&sort=name", lead_id=1, surname="Núñez") == (
        "/leads/?q=N&sort=name"
    )
    assert bench_crm.page_url("crm:reports", "?seller={seller}", lead_id=1, surname="x", seller_id=7) == (
        "/analytics/forecast/?seller=7"
    )


def test_bulk_seeding_copies_the_base_with_its_history_and_keeps_the_rollups_right(tenant, owner):
    import random

    from crm.models import Lead, TimelineEntry
    from crm.rollups import rollups_verify
    from crm.search import search_text_for
    from crm.seeding import Person
    from crm.seeding_bulk import seed_bulk
    from crm.selectors.leads import search_leads

    def indexes():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename IN ('crm_lead', 'crm_timelineentry') ORDER BY 1"
            )
            return cursor.fetchall()

    before_indexes = indexes()
    before = Lead.objects.count()
    people = [Person(owner.user_id, "Owner")]
    seeded = seed_bulk(count=130, sellers=people, creator=people[0], rng=random.Random(3), language="en", base=50)

    assert seeded.leads == 130
    assert indexes() == before_indexes  # dropped for the copy, built again
    assert len(before_indexes) > 8
    assert Lead.objects.count() == before + 130
    assert TimelineEntry.objects.count() == seeded.entries
    assert rollups_verify() == {}
    copy = Lead.objects.order_by("-id").first()
    assert copy.phone.startswith("+347")
    assert copy.search_text == search_text_for(
        first_name=copy.first_name, last_name=copy.last_name, email=copy.email, company=copy.company, phone=copy.phone
    )
    assert list(search_leads(Lead.objects.all(), copy.phone[3:])) == [copy]
    assert copy.timeline.filter(kind="created").exists()
    # The triggers are back on.
    Lead.objects.filter(pk=copy.pk).update(expected_value=1)
    assert rollups_verify() == {}


def test_a_kept_company_is_measured_again_without_seeding(monkeypatch):
    monkeypatch.setattr(bench_crm, "PAGES", [("dashboard", "crm:dashboard", None, bench_crm.BOTH)])
    out = StringIO()
    call_command("bench_crm", leads=30, requests=1, keep=True, stdout=out)
    slug = json.loads(out.getvalue())["tenant"]["slug"]
    try:
        again = StringIO()
        call_command("bench_crm", reuse=slug, requests=1, stdout=again)
        report = json.loads(again.getvalue())
        assert report["leads"] == 30
        assert report["seed_seconds"] is None
        assert report["results"]["dashboard"]["seller"]["status"] == 200
    finally:
        tenant = Tenant.objects.get(slug=slug)
        users = list(User.objects.filter(email__endswith=f"@{slug}.bench").values_list("pk", flat=True))
        bench_crm.drop_bench_tenant(tenant, user_ids=users)


def test_a_kept_bench_company_is_not_listed_for_public_registration(monkeypatch):
    # issue 7, bug 9: `bench_crm --keep` left its company in the registration form's list
    from tenants.selectors import listed_tenants

    monkeypatch.setattr(bench_crm, "PAGES", [("dashboard", "crm:dashboard", None, bench_crm.BOTH)])
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
