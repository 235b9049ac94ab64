"""Membership services: approve, reject, disable, enable, edit, and the rules that keep an owner."""

import pytest
from django.db import connection

from core.errors import ApplicationError
from core.models import AuditEntry
from tenants import services
from tenants.models import Membership, MembershipStatus, Role, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def founder(acme) -> Membership:
    """The owner tenant_create made for acme (founder@acme.test)."""
    return Membership.objects.get(tenant=acme, user__email="founder@acme.test")


def _actions(in_schema, tenant) -> list[str]:
    with in_schema(tenant):
        return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def test_approve_activates_with_the_chosen_role_and_audits_the_changes(acme, owner, make_member, in_schema):
    pending = make_member(acme, Role.SELLER, MembershipStatus.PENDING)

    with in_schema(acme):
        services.membership_approve(membership=pending, role=Role.MARKETING, actor=owner.user)
        entry = AuditEntry.objects.get(action="membership.approve")

    pending.refresh_from_db()
    assert (pending.status, pending.role, pending.decided_by) == (MembershipStatus.ACTIVE, Role.MARKETING, owner.user)
    assert pending.decided_at is not None
    assert entry.changes == {
        "status": {"before": "pending", "after": "active"},
        "role": {"before": "seller", "after": "marketing"},
    }


def test_approve_audits_in_the_memberships_tenant_even_when_called_from_public(
    acme, globex, owner, make_member, in_schema
):
    pending = make_member(acme, Role.SELLER, MembershipStatus.PENDING)
    acme_before, globex_before = _actions(in_schema, acme), _actions(in_schema, globex)
    connection.set_schema_to_public()

    services.membership_approve(membership=pending, role=Role.SELLER, actor=owner.user)

    assert _actions(in_schema, acme) == [*acme_before, "membership.approve"]
    assert _actions(in_schema, globex) == globex_before
    with in_schema(acme):
        assert AuditEntry.objects.get(action="membership.approve").changes == {
            "status": {"before": "pending", "after": "active"}
        }


def test_only_pending_requests_can_be_approved(acme, owner, seller, in_schema):
    before = _actions(in_schema, acme)

    with pytest.raises(ApplicationError) as error:
        services.membership_approve(membership=seller, role=Role.OWNER, actor=owner.user)

    assert error.value.message == "Only pending requests can be approved."
    seller.refresh_from_db()
    assert (seller.status, seller.role) == (MembershipStatus.ACTIVE, Role.SELLER)
    assert _actions(in_schema, acme) == before


def test_approve_refuses_an_unknown_role(acme, owner, make_member):
    pending = make_member(acme, Role.SELLER, MembershipStatus.PENDING)

    with pytest.raises(ApplicationError) as error:
        services.membership_approve(membership=pending, role="admin", actor=owner.user)

    assert error.value.message == "Choose a valid role."
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING


def test_reject_deletes_the_request_but_keeps_the_account(acme, owner, make_member, in_schema):
    pending = make_member(acme, Role.SELLER, MembershipStatus.PENDING)
    pk, user_id = pending.pk, pending.user_id

    services.membership_reject(membership=pending, actor=owner.user)

    assert not Membership.objects.filter(pk=pk).exists()
    assert User.objects.filter(pk=user_id).exists()
    with in_schema(acme):
        entry = AuditEntry.objects.get(action="membership.reject")
    assert (entry.actor_id, entry.object_id) == (owner.user_id, str(pk))


def test_only_pending_requests_can_be_rejected(owner, seller):
    with pytest.raises(ApplicationError) as error:
        services.membership_reject(membership=seller, actor=owner.user)

    assert error.value.message == "Only pending requests can be rejected."
    assert Membership.objects.filter(pk=seller.pk).exists()


def test_disable_then_enable(acme, owner, seller, in_schema):
    services.membership_disable(membership=seller, actor=owner.user)
    seller.refresh_from_db()
    assert seller.status == MembershipStatus.DISABLED

    services.membership_enable(membership=seller, actor=owner.user)
    seller.refresh_from_db()
    assert seller.status == MembershipStatus.ACTIVE

    with in_schema(acme):
        changes = dict(
            AuditEntry.objects.filter(action__in=["membership.disable", "membership.enable"]).values_list(
                "action", "changes"
            )
        )
    assert changes == {
        "membership.disable": {"status": {"before": "active", "after": "disabled"}},
        "membership.enable": {"status": {"before": "disabled", "after": "active"}},
    }


def test_nobody_can_disable_themselves(owner):
    with pytest.raises(ApplicationError) as error:
        services.membership_disable(membership=owner, actor=owner.user)

    assert error.value.message == "You cannot disable yourself."
    owner.refresh_from_db()
    assert owner.status == MembershipStatus.ACTIVE


def test_the_last_active_owner_cannot_be_disabled(acme, founder, owner, seller, in_schema):
    Membership.objects.filter(pk=founder.pk).update(status=MembershipStatus.DISABLED)
    before = _actions(in_schema, acme)

    with pytest.raises(ApplicationError) as error:
        services.membership_disable(membership=owner, actor=seller.user)

    assert error.value.message == "A company needs at least one active owner."
    owner.refresh_from_db()
    assert owner.status == MembershipStatus.ACTIVE
    assert _actions(in_schema, acme) == before


def test_an_owner_can_be_disabled_while_another_owner_is_active(founder, owner):
    services.membership_disable(membership=founder, actor=owner.user)

    founder.refresh_from_db()
    assert founder.status == MembershipStatus.DISABLED


def test_only_disabled_members_can_be_enabled(owner, seller):
    with pytest.raises(ApplicationError) as error:
        services.membership_enable(membership=seller, actor=owner.user)

    assert error.value.message == "Only disabled members can be re-enabled."


def test_the_last_active_owner_cannot_be_demoted(acme, founder, owner, in_schema):
    Membership.objects.filter(pk=founder.pk).update(status=MembershipStatus.DISABLED)
    before = _actions(in_schema, acme)

    with pytest.raises(ApplicationError) as error:
        services.member_update(membership=owner, actor=owner.user, role=Role.SELLER)

    assert error.value.message == "A company needs at least one active owner."
    owner.refresh_from_db()
    assert owner.role == Role.OWNER
    assert _actions(in_schema, acme) == before


def test_member_update_changes_the_role_only_and_audits_the_diff(acme, owner, seller, in_schema):
    name, phone = seller.user.full_name, seller.user.phone

    services.member_update(membership=seller, actor=owner.user, role=Role.ACCOUNTANT)

    seller.refresh_from_db()
    seller.user.refresh_from_db()
    assert (seller.user.full_name, seller.user.phone, seller.role) == (name, phone, Role.ACCOUNTANT)
    with in_schema(acme):
        entry = AuditEntry.objects.get(action="member.update")
    assert entry.changes == {"role": {"before": "seller", "after": "accountant"}}


def test_member_update_to_the_same_role_writes_nothing(acme, owner, seller, in_schema):
    before = _actions(in_schema, acme)

    services.member_update(membership=seller, actor=owner.user, role=Role.SELLER)

    assert _actions(in_schema, acme) == before


def test_member_update_refuses_an_unknown_role(owner, seller):
    with pytest.raises(ApplicationError) as error:
        services.member_update(membership=seller, actor=owner.user, role="boss")

    assert error.value.message == "Choose a valid role."
    seller.refresh_from_db()
    assert seller.role == Role.SELLER


def test_membership_request_twice_changes_nothing(acme, globex, owner, in_schema):
    first = services.membership_request(user=owner.user, tenant=globex)
    second = services.membership_request(user=owner.user, tenant=globex)

    assert first.pk == second.pk
    assert first.status == MembershipStatus.PENDING
    with in_schema(globex):
        assert AuditEntry.objects.filter(action="membership.request", object_id=str(first.pk)).count() == 1
