"""Merging duplicates and deleting leads: one lead keeps the union of history, tags and attribution, the
other becomes a redirect; other apps hook in through crm.lead_hooks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import ApplicationError
from core.models import AuditEntry
from crm import lead_hooks
from crm.lead_hooks import LeadHandlers
from crm.models import Lead, LeadDocument, LeadRedirect, TimelineEntry
from crm.services.documents import document_upload
from crm.services.merge import lead_delete, lead_merge, merge_plan
from crm.services.timeline import call_log, note_add
from crm.tests.factories import LeadFactory, TagFactory, stage
from crm.tests.helpers import PDF, stored_files

pytestmark = pytest.mark.django_db

CALLS = []


def record_merge(**kwargs):
    CALLS.append(("merge", kwargs, Lead.objects.filter(pk=kwargs["source"].pk).exists()))


def record_delete(**kwargs):
    CALLS.append(("delete", kwargs, Lead.objects.filter(pk=kwargs["lead"].pk).exists()))


@pytest.fixture
def pair(tenant, owner, seller):
    keep = LeadFactory(
        phone="+34612000001", first_name="Ana", last_name="", email="", company="Bodegas", seller_id=None,
        expected_value=Decimal("0"), notes="Quiere vino", score="",
    )  # fmt: skip
    other = LeadFactory(
        phone="+34612000002", first_name="Ana María", last_name="López", email="ana@example.com", company="Otra",
        seller_id=seller.user_id, expected_value=Decimal("1500"), notes="Llamar por la tarde", score="hot",
        meta_campaign_id="c-1", utm_source="facebook",
    )  # fmt: skip
    keep.tags.add(TagFactory(name="vip"))
    other.tags.add(TagFactory(name="feria"), TagFactory(name="vip"))
    note_add(lead=keep, actor=owner.user, body="nota del primero")
    note_add(lead=other, actor=owner.user, body="nota del segundo")
    call_log(lead=other, actor=owner.user, outcome="answered", duration_seconds=60)
    return keep, other


def test_the_kept_lead_gets_the_union_of_history_tags_and_attribution(tenant, owner, seller, pair):
    keep, other = pair
    other_id = other.pk
    Lead.objects.filter(pk=other_id).update(created_at=timezone.now() - timedelta(days=30))

    kept = lead_merge(tenant=tenant, keep=keep, remove=other, actor=owner.user)

    kept.refresh_from_db()
    assert not Lead.objects.filter(pk=other_id).exists()
    assert (kept.phone, kept.first_name, kept.last_name, kept.email, kept.company) == (
        "+34612000001", "Ana", "López", "ana@example.com", "Bodegas",
    )  # fmt: skip
    assert (kept.seller_id, kept.expected_value, kept.score) == (seller.user_id, Decimal("1500.00"), "hot")
    assert (kept.meta_campaign_id, kept.utm_source) == ("c-1", "facebook")
    assert kept.notes == "Quiere vino\n\nLlamar por la tarde"
    assert kept.created_at < timezone.now() - timedelta(days=29)
    assert sorted(kept.tags.values_list("name", flat=True)) == ["feria", "vip"]
    bodies = set(TimelineEntry.objects.filter(lead=kept, kind="note").values_list("body", flat=True))
    assert bodies == {"nota del primero", "nota del segundo"}
    assert TimelineEntry.objects.filter(lead=kept, kind="call").count() == 1
    merge = TimelineEntry.objects.get(lead=kept, kind="merge")
    assert (merge.data["merged_id"], merge.data["phone"]) == (other_id, "+34612000002")
    assert LeadRedirect.objects.get(old_id=other_id).lead == kept
    entry = AuditEntry.objects.get(action="lead.merge")
    assert (entry.object_id, entry.actor_id) == (str(kept.pk), owner.user_id)
    assert entry.changes["merged"]["before"] == f"#{other_id} Ana María López"


def test_the_kept_leads_own_attribution_wins(tenant, owner, pair):
    keep, other = pair
    Lead.objects.filter(pk=keep.pk).update(utm_source="google")
    keep.refresh_from_db()

    kept = lead_merge(tenant=tenant, keep=keep, remove=other, actor=owner.user)

    assert (kept.utm_source, kept.meta_campaign_id) == ("google", "")


def test_documents_move_with_their_files(tenant, owner, pair, media_root):
    keep, other = pair
    document = document_upload(lead=other, actor=owner.user, file=SimpleUploadedFile("plan.pdf", PDF))

    lead_merge(tenant=tenant, keep=keep, remove=other, actor=owner.user)

    document.refresh_from_db()
    assert document.lead_id == keep.pk
    assert document.file.read() == PDF


def test_a_redirect_to_a_lead_merged_again_follows_to_the_last_one(tenant, owner, pair):
    keep, other = pair
    third = LeadFactory(phone="+34612000003")
    other_id = other.pk
    lead_merge(tenant=tenant, keep=keep, remove=other, actor=owner.user)

    lead_merge(tenant=tenant, keep=third, remove=keep, actor=owner.user)

    assert LeadRedirect.objects.get(old_id=other_id).lead == third
    assert LeadRedirect.objects.get(old_id=keep.pk).lead == third


def test_a_lead_cannot_be_merged_with_itself(tenant, owner, pair):
    keep, _other = pair

    with pytest.raises(ApplicationError):
        lead_merge(tenant=tenant, keep=keep, remove=keep, actor=owner.user)

    assert not AuditEntry.objects.filter(action="lead.merge").exists()


def test_the_plan_says_what_the_kept_lead_takes(tenant, pair):
    keep, other = pair

    plan = merge_plan(keep=keep, remove=other)

    assert set(plan.changes) >= {"last_name", "email", "seller_id", "expected_value", "score", "notes"}
    assert "first_name" not in plan.changes
    assert "company" not in plan.changes
    assert plan.tags == ["feria", "vip"]


def test_other_apps_handlers_run_inside_the_merge_before_the_lead_goes(tenant, owner, pair, monkeypatch):
    keep, other = pair
    other_id, keep_id = other.pk, keep.pk
    CALLS.clear()
    monkeypatch.setattr(
        lead_hooks,
        "lead_handlers",
        lambda: [("fake", LeadHandlers(merge=f"{__name__}.record_merge", delete=f"{__name__}.record_delete"))],
    )

    lead_merge(tenant=tenant, keep=keep, remove=other, actor=owner.user)
    lead_delete(tenant=tenant, lead=keep, actor=owner.user)

    (op1, merge_kwargs, source_existed), (op2, delete_kwargs, lead_existed) = CALLS
    assert (op1, merge_kwargs["target"].pk, source_existed) == ("merge", keep_id, True)
    assert merge_kwargs["source"].phone == "+34612000002"
    assert (op2, delete_kwargs["lead"].pk, lead_existed) == ("delete", keep_id, True)
    assert other_id != keep_id
    assert merge_kwargs["tenant"] == tenant
    assert merge_kwargs["actor"] == owner.user


def test_a_failing_handler_leaves_both_leads_as_they_were(tenant, owner, pair, monkeypatch):
    keep, other = pair

    def boom(**kwargs):
        raise ApplicationError("the agenda could not move its appointments")

    monkeypatch.setattr(lead_hooks, "resolve_callable", lambda path: boom)
    monkeypatch.setattr(lead_hooks, "lead_handlers", lambda: [("fake", LeadHandlers(merge="x.y"))])

    with pytest.raises(ApplicationError):
        lead_merge(tenant=tenant, keep=keep, remove=other, actor=owner.user)

    assert Lead.objects.filter(pk__in=[keep.pk, other.pk]).count() == 2
    assert not LeadRedirect.objects.exists()


def test_deleting_a_lead_removes_its_history_and_files_and_is_audited(
    tenant, owner, pair, media_root, django_capture_on_commit_callbacks
):
    keep, other = pair
    document_upload(lead=other, actor=owner.user, file=SimpleUploadedFile("plan.pdf", PDF))
    assert any(name.endswith(".pdf") for name in stored_files(media_root))

    with django_capture_on_commit_callbacks(execute=True):
        lead_delete(tenant=tenant, lead=other, actor=owner.user)

    assert not Lead.objects.filter(pk=other.pk).exists()
    assert not TimelineEntry.objects.filter(lead_id=other.pk).exists()
    assert not LeadDocument.objects.filter(lead_id=other.pk).exists()
    assert not any(name.endswith(".pdf") for name in stored_files(media_root))
    entry = AuditEntry.objects.get(action="lead.delete")
    assert (entry.object_id, entry.object_repr) == (str(other.pk), "Ana María López")
    assert entry.changes == {"history": {"before": 3, "after": None}, "documents": {"before": 1, "after": None}}
    assert Lead.objects.filter(pk=keep.pk).exists()


def test_a_merge_announces_both_columns_to_the_boards(tenant, owner, pair, monkeypatch):
    keep, other = pair
    Lead.objects.filter(pk=other.pk).update(stage=stage("contacted"))
    other.refresh_from_db()
    sent = []
    monkeypatch.setattr("crm.services.merge.announce_lead", lambda **kwargs: sent.append(kwargs))

    lead_merge(tenant=tenant, keep=keep, remove=other, actor=owner.user)

    assert sent[0]["event"] == "LEAD_MERGED"
    assert sent[0]["stage_ids"] == sorted({stage("new").pk, stage("contacted").pk})
