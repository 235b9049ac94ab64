"""The rollups stay equal to a recomputation from the leads after every kind of change (issue 7, Speed):
each test makes one kind of change through the code that really makes it, then `rollups_verify`
compares what the triggers kept with the figures recomputed from scratch."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import ClosedRollup, ImportJob, Lead, PipelineRollup, RollupConfig, StageFlowRollup, TimelineEntry
from crm.rollups import rollups_rebuild, rollups_set_zone, rollups_verify
from crm.services.erasure import lead_erase
from crm.services.imports import import_job_create, import_job_run
from crm.services.leads import (
    lead_assign,
    lead_create,
    lead_move,
    lead_update,
    leads_bulk_assign,
    leads_bulk_move,
)
from crm.services.merge import lead_delete, lead_merge
from crm.tests.factories import LeadFactory, stage
from crm.tests.helpers import csv_bytes
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture(autouse=True)
def _an_empty_pipeline(tenant):
    """The browser tests and benchmarks commit leads into the shared test company, which a reused test
    database keeps: each test here starts from no leads and no rollups (rolled back with the test)."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE crm_lead CASCADE")
    rollups_rebuild()


@pytest.fixture
def people(tenant, make_member):
    return make_member(tenant, Role.SELLER, full_name="Ana"), make_member(tenant, Role.SELLER, full_name="Ben")


@pytest.fixture
def leads(owner, people):
    ana, ben = people
    made = [
        lead_create(actor=owner.user, phone=f"+3461200000{n}", seller_id=seller.user_id, expected_value=Decimal(v))
        for n, (seller, v) in enumerate([(ana, "100"), (ana, "250.50"), (ben, "999"), (ben, "10")])
    ]
    assert rollups_verify() == {}
    return made


def test_the_tables_hold_figures_not_just_zeros(leads):
    assert PipelineRollup.objects.get(stage_id=stage("new").pk, seller_id=leads[0].seller_id).count == 2
    flows = StageFlowRollup.objects.filter(to_stage_id=stage("new").pk).order_by("seller_id")
    assert [(row.seller_id, row.count) for row in flows] == [(leads[0].seller_id, 2), (leads[2].seller_id, 2)]


def test_moves_closes_and_reopens(owner, leads):
    lead_move(lead=leads[0], stage=stage("contacted"), actor=owner.user)
    lead_move(lead=leads[0], stage=stage("won"), actor=owner.user)
    lead_move(lead=leads[1], stage=stage("lost"), actor=owner.user, lost_reason="price")
    lead_move(lead=leads[1], stage=stage("negotiation"), actor=owner.user)
    leads_bulk_move(leads=Lead.objects.filter(pk__in=[leads[2].pk, leads[3].pk]), stage=stage("won"), actor=owner.user)
    assert rollups_verify() == {}
    assert ClosedRollup.objects.filter(kind="won").count() == 2  # two closers, one day


def test_edits_of_the_figures_that_count(owner, leads):
    lead_update(lead=leads[0], actor=owner.user, expected_value=Decimal("5000"), expected_close=date(2027, 2, 14))
    lead_update(lead=leads[1], actor=owner.user, source=Lead.Source.WEBSITE, utm_campaign="spring")
    lead_update(lead=leads[2], actor=owner.user, meta_campaign_id="123", first_name="Only a name")
    lead_move(lead=leads[3], stage=stage("won"), actor=owner.user)
    lead_update(lead=leads[3], actor=owner.user, expected_value=Decimal("7"))  # a won deal's value corrected
    assert rollups_verify() == {}
    row = PipelineRollup.objects.get(close_month=date(2027, 2, 1))
    assert (row.count, row.value) == (1, Decimal("5000"))


def test_reassignments_one_by_one_and_in_bulk(owner, people, leads):
    ana, ben = people
    lead_move(lead=leads[0], stage=stage("won"), actor=owner.user)
    lead_assign(lead=leads[0], seller_id=ben.user_id, actor=owner.user)
    leads_bulk_assign(leads=Lead.objects.filter(pk__in=[leads[1].pk, leads[2].pk]), seller_id=None, actor=owner.user)
    assert rollups_verify() == {}
    assert ClosedRollup.objects.get(kind="won").closer_id == ana.user_id
    # The flows (funnel) follow the lead's current seller: the won move is Ben's now.
    won = StageFlowRollup.objects.filter(to_stage_id=stage("won").pk, count__gt=0).get()
    assert (won.seller_id, won.count) == (ben.user_id, 1)


def test_merge_deletion_and_erasure(tenant, owner, leads):
    lead_move(lead=leads[1], stage=stage("won"), actor=owner.user)
    lead_merge(tenant=tenant, keep=leads[0], remove=leads[1], actor=owner.user)
    lead_delete(tenant=tenant, lead=leads[2], actor=owner.user)
    lead_move(lead=leads[3], stage=stage("lost"), actor=owner.user, lost_reason="price")
    lead_erase(tenant=tenant, lead=Lead.objects.get(pk=leads[3].pk), actor=owner.user)
    assert rollups_verify() == {}


def test_an_import_with_closed_deals_and_dates(owner, people):
    data = csv_bytes(
        "Phone;First name;Stage;Value;Created;Closed;Seller",
        f"612 11 22 33;Won;won;1500;2026-01-10;2026-02-01;{people[0].user.email}",
        "612 11 22 34;Open;new;200;2026-01-11;;",
        "612 11 22 35;Lost;lost;300;2026-01-12;2026-01-20;",
    )
    job = import_job_create(name="leads.csv", data=data, actor=owner.user)
    job.status = ImportJob.Status.QUEUED
    job.save()
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.created_count == 3, job.errors
    assert rollups_verify() == {}
    won = Lead.objects.get(first_name="Won")
    assert won.closed_seller_id == people[0].user_id


def test_writes_that_bypass_the_services(owner, leads):
    Lead.objects.filter(pk=leads[0].pk).update(
        stage=stage("won"), closed_at=timezone.now() - timedelta(days=3), created_at=timezone.now() - timedelta(days=9)
    )
    Lead.objects.filter(pk__in=[leads[1].pk, leads[2].pk]).delete()
    LeadFactory(stage=stage("interested"), seller_id=leads[3].seller_id)
    TimelineEntry.objects.filter(lead=leads[3], kind="created").delete()
    assert rollups_verify() == {}


def test_a_time_zone_change_recounts_the_days(owner, leads):
    Lead.objects.filter(pk=leads[0].pk).update(created_at=timezone.now().replace(hour=23, minute=30))
    rollups_set_zone("Pacific/Kiritimati")  # UTC+14: 23:30 UTC is the next local day
    assert RollupConfig.objects.get().zone == "Pacific/Kiritimati"
    assert rollups_verify() == {}


def test_a_rebuild_gives_what_the_triggers_kept(owner, leads):
    lead_move(lead=leads[0], stage=stage("won"), actor=owner.user)
    before = sorted(ClosedRollup.objects.values_list("day", "closer_id", "kind", "count", "value"))
    rollups_rebuild()
    assert sorted(ClosedRollup.objects.values_list("day", "closer_id", "kind", "count", "value")) == before
    assert rollups_verify() == {}


def test_a_difference_is_reported(leads):
    PipelineRollup.objects.filter(seller_id=leads[0].seller_id).update(count=99)
    assert "crm_pipelinerollup" in rollups_verify()


def test_list_and_board_counts_come_from_the_rollup_and_match_the_leads(
    owner, people, leads, client_for, django_assert_max_num_queries
):
    from crm.selectors.board import pipeline_board
    from crm.selectors.leads import LeadFilters, lead_paginator

    ana, _ben = people
    filters = LeadFilters()
    paginator = lead_paginator(membership=owner, filters=filters, per_page=2)
    assert paginator.known_count == paginator.object_list.count() == Lead.objects.count()
    mine = lead_paginator(membership=ana, filters=filters, per_page=2)
    assert mine.known_count == 2
    by_stage = lead_paginator(membership=owner, filters=LeadFilters(stage_id=stage("new").pk, seller_id=0), per_page=2)
    assert by_stage.known_count == Lead.objects.filter(stage=stage("new"), seller__isnull=True).count()
    searched = lead_paginator(membership=owner, filters=LeadFilters(search="zz"), per_page=2)
    assert (searched.known_count, searched.capped) == (0, False)  # a search counts its matches (up to a cap)

    board = pipeline_board(membership=ana, filters=filters)
    assert {column.stage.key: column.count for column in board.columns}["new"] == 2
    assert sum(column.total for column in board.columns) == Decimal("350.50")
