""" "Select all N matching this filter" (issue 7, expectation 4): bulk actions beyond the page, confirmed
with the true count, done inline when few and by a worker with progress when many."""

import pytest
from django.test import Client

from core.models import AuditEntry
from crm.models import BulkJob, Lead
from crm.services import bulk as bulk_services
from crm.services.bulk import bulk_job_run
from crm.tests.factories import LeadFactory, TagFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _post(client, **data):
    return client.post("/leads/bulk/", {"all_matching": "1", "next": "/leads/", **data}, **HTMX)


def test_the_list_offers_to_select_every_matching_lead_beyond_the_page(tenant, owner, client_for, english):
    for _ in range(55):
        LeadFactory(source="website")

    body = client_for(owner).get("/leads/", {"source": "website"}).content.decode()

    assert "data-select-matching" in body
    assert "Select all 55 leads matching these filters" in body
    assert 'name="filters" value="source=website"' in body


def test_all_matching_asks_with_the_true_count_then_acts_on_every_match(tenant, owner, client_for, english):
    matching = [LeadFactory(source="website") for _ in range(7)]
    other = LeadFactory(source="referral")
    client = client_for(owner)

    question = _post(client, action="tag", tag="fair", filters="source=website")
    assert "Tag 7 leads with “fair”?" in question.content.decode()
    assert not AuditEntry.objects.filter(action="lead.tag").exists()
    done = _post(client, action="tag", tag="fair", filters="source=website", confirmed="1")

    assert done.status_code == 200
    assert {lead.pk for lead in Lead.objects.filter(tags__name="fair")} == {lead.pk for lead in matching}
    assert not other.tags.exists()


def test_a_seller_selecting_all_matching_acts_only_on_their_own_leads(tenant, acme, make_member, client_for):
    me, colleague = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    mine = [LeadFactory(source="website", seller=me.user) for _ in range(3)]
    theirs = LeadFactory(source="website", seller=colleague.user)

    _post(client_for(me), action="move", stage=stage("contacted").pk, filters="source=website", confirmed="1")

    assert set(Lead.objects.filter(stage=stage("contacted")).values_list("pk", flat=True)) == {m.pk for m in mine}
    assert Lead.objects.get(pk=theirs.pk).stage.key == "new"


def test_many_matches_go_to_a_worker_that_reports_progress(tenant, owner, client_for, monkeypatch, english):
    monkeypatch.setattr(bulk_services, "INLINE_MAX", 3)
    monkeypatch.setattr(bulk_services, "BATCH", 2)
    sent = []
    monkeypatch.setattr("crm.tasks.bulk_leads_task.delay", lambda job_id: sent.append(job_id))
    leads = [LeadFactory(source="website") for _ in range(5)]
    client = client_for(owner)

    response = _post(client, action="move", stage=stage("interested").pk, filters="source=website", confirmed="1")

    job = BulkJob.objects.get()
    assert response["HX-Redirect"] == f"/leads/bulk/{job.pk}/"
    assert (job.total, job.status, sent) == (5, BulkJob.Status.QUEUED, [])  # enqueued after commit
    assert Lead.objects.filter(stage=stage("interested")).count() == 0
    page = client.get(f"/leads/bulk/{job.pk}/").content.decode()
    assert "0 of 5" in page

    bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.processed, job.changed, job.skipped) == (BulkJob.Status.DONE, 5, 5, 0)
    assert set(Lead.objects.filter(stage=stage("interested")).values_list("pk", flat=True)) == {x.pk for x in leads}
    assert AuditEntry.objects.filter(action="lead.move").count() == 5
    assert "5 of 5" in client.get(f"/leads/bulk/{job.pk}/").content.decode()


def test_a_job_run_again_resumes_and_changes_nothing_twice(tenant, owner, monkeypatch):
    monkeypatch.setattr(bulk_services, "BATCH", 2)
    tag = TagFactory(name="again")
    leads = [LeadFactory() for _ in range(3)]
    job = bulk_services.bulk_job_create(
        membership=owner, action="tag", params={"tag": tag.name}, lead_ids=[lead.pk for lead in leads]
    )

    bulk_job_run(job_id=job.pk)
    bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.processed, job.changed) == (3, 3)
    assert AuditEntry.objects.filter(action="lead.tag").count() == 3


def test_a_bulk_job_page_is_its_authors_only(tenant, acme, owner, globex_owner, make_member, client_for):
    job = bulk_services.bulk_job_create(membership=owner, action="tag", params={"tag": "x"}, lead_ids=[1])
    other_owner = make_member(acme, Role.OWNER)

    assert client_for(other_owner).get(f"/leads/bulk/{job.pk}/").status_code == 404
    assert client_for(globex_owner).get(f"/leads/bulk/{job.pk}/").status_code == 404
    assert client_for(globex_owner.user, acme).get(f"/leads/bulk/{job.pk}/").status_code == 403
    assert Client(HTTP_HOST="acme.localhost").get(f"/leads/bulk/{job.pk}/").status_code == 302


@pytest.mark.parametrize(
    ("reader", "expected"),
    [("fr", "Indiquez pourquoi les prospects ont été perdus."), ("en", "Say why the leads were lost.")],
)
def test_a_failed_job_says_why_in_its_readers_language(tenant, owner, reader, expected, settings):
    """The worker meets the refusal in Spanish (the server's and the company's language); the author reads
    it in theirs."""
    from django.utils import translation

    from crm.tasks import bulk_leads_task

    settings.LANGUAGE_CODE = "es"
    tenant.language = "es"
    tenant.save(update_fields=["language"])
    lead = LeadFactory()
    job = bulk_services.bulk_job_create(
        membership=owner, action="move", params={"stage_id": stage("lost").pk, "lost_reason": ""}, lead_ids=[lead.pk]
    )
    with translation.override("es"):
        bulk_leads_task.apply(args=[job.pk])
    owner.user.language = reader
    owner.user.save(update_fields=["language"])

    job.refresh_from_db()
    page = Client(HTTP_HOST="acme.localhost")
    page.force_login(owner.user)
    body = page.get(f"/leads/bulk/{job.pk}/").content.decode()

    assert (job.status, job.failure_code, job.processed) == (BulkJob.Status.FAILED, "lost_reason_missing", 0)
    assert expected in body
    assert Lead.objects.get(pk=lead.pk).stage_id == lead.stage_id


def test_a_refusal_with_parameters_is_worded_for_each_reader(tenant, owner):
    from django.utils import translation

    lead = LeadFactory()
    job = bulk_services.bulk_job_create(membership=owner, action="untag", params={"tag": "vip"}, lead_ids=[lead.pk])
    with translation.override("es"):
        bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.failure_code, job.failure_params) == ("tag_unknown", {"name": "vip"})
    with translation.override("fr"):
        assert job.failure_text == "Aucun lead n'a l'étiquette « vip »."
    with translation.override("en"):
        assert job.failure_text == "No lead has the tag “vip”."


def test_a_job_whose_author_left_says_so_in_the_readers_language(tenant, owner, make_member):
    from django.utils import translation

    from tenants.models import MembershipStatus

    seller = make_member(tenant, Role.SELLER, full_name="Gone Seller")
    job = bulk_services.bulk_job_create(membership=seller, action="tag", params={"tag": "x"}, lead_ids=[1])
    seller.status = MembershipStatus.DISABLED
    seller.save(update_fields=["status"])
    with translation.override("es"):
        bulk_job_run(job_id=job.pk)

    job.refresh_from_db()
    with translation.override("en"):
        assert job.failure_text == "Its author is no longer an active member."
