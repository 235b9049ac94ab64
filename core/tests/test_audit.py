"""The audit log's writer, its diff helper and the purge task."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from core.audit import audit_log, diff
from core.context import client_ip_var, request_id_var
from core.models import AuditEntry
from core.tasks import audit_purge_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_an_entry_names_the_actor_and_the_object(tenant, owner):
    entry = audit_log(action="member.update", actor=owner.user, obj=owner, changes={"role": {"before": 1, "after": 2}})

    assert (entry.actor, entry.actor_kind) == (owner.user, "user")
    assert entry.actor_label == f"{owner.user.full_name} <{owner.user.email}>"
    assert (entry.object_type, entry.object_id, entry.object_repr) == ("tenants.membership", str(owner.pk), str(owner))
    assert entry.changes == {"role": {"before": 1, "after": 2}}


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_without_a_signed_in_actor_the_system_acts(tenant, actor):
    entry = audit_log(action="login.failed", actor=actor, object_repr="x@example.org")

    assert (entry.actor, entry.actor_kind, entry.actor_label) == (None, "system", "System")


def test_an_agent_is_recorded_as_such(tenant):
    entry = audit_log(action="lead.reply", actor_kind=AuditEntry.ActorKind.AGENT)

    assert (entry.actor_kind, entry.actor_label) == ("agent", "AI agent")


def test_ip_and_request_id_come_from_the_request_context(tenant):
    ip_token, id_token = client_ip_var.set("203.0.113.7"), request_id_var.set("req-42")
    try:
        entry = audit_log(action="x.y")
    finally:
        client_ip_var.reset(ip_token)
        request_id_var.reset(id_token)

    assert (entry.ip, entry.request_id) == ("203.0.113.7", "req-42")


def test_long_representations_are_cut_to_the_column(tenant):
    entry = audit_log(action="x.y", object_repr="r" * 400)

    assert entry.object_repr == "r" * 255


def test_diff_keeps_only_changed_fields_and_stringifies_objects(owner):
    assert diff(
        {"name": "a", "same": 1, "who": None},
        {"name": "b", "same": 1, "who": owner.user},
    ) == {"name": {"before": "a", "after": "b"}, "who": {"before": None, "after": str(owner.user)}}


def test_purge_deletes_old_entries_in_the_current_tenant_only(acme, globex, in_schema):
    long_ago = timezone.now() - timedelta(days=800)
    with in_schema(globex):
        old_globex = audit_log(action="old.globex")
        AuditEntry.objects.filter(pk=old_globex.pk).update(created_at=long_ago)
    with in_schema(acme):
        old = audit_log(action="old.acme")
        AuditEntry.objects.filter(pk=old.pk).update(created_at=long_ago)
        recent = audit_log(action="recent.acme")

        deleted = audit_purge_task.run(days=730)

        assert deleted == 1
        assert not AuditEntry.objects.filter(pk=old.pk).exists()
        assert AuditEntry.objects.filter(pk=recent.pk).exists()
    with in_schema(globex):
        assert AuditEntry.objects.filter(pk=old_globex.pk).exists()
