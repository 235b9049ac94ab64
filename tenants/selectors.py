"""Reads about tenants, people and memberships."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Membership, MembershipStatus, Tenant, User


def active_membership(*, user: User, tenant: Tenant) -> Membership | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return (
        Membership.objects.select_related("tenant")
        .filter(user=user, tenant=tenant, status=MembershipStatus.ACTIVE)
        .first()
    )


def user_active_memberships(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE)
        .exclude(tenant__schema_name="public")
        .select_related("tenant")
        .order_by("tenant__name")
    )


def user_memberships(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")


def listed_tenants() -> QuerySet[Tenant]:
    return Tenant.objects.exclude(schema_name="public").filter(listed=True).order_by("name")


def tenant_members(*, tenant: Tenant, status: str | None = None, search: str = "") -> QuerySet[Membership]:
    members = Membership.objects.filter(tenant=tenant).select_related("user", "decided_by")
    if status:
        members = members.filter(status=status)
    if search:
        from django.db.models import Q

        members = members.filter(Q(user__full_name__icontains=search) | Q(user__email__icontains=search))
    return members.order_by("status", "user__full_name")


def pending_count(*, tenant: Tenant) -> int:
    return Membership.objects.filter(tenant=tenant, status=MembershipStatus.PENDING).count()


def tenant_primary_domain(*, tenant: Tenant) -> str:
    domain = tenant.domains.filter(is_primary=True).first() or tenant.domains.first()
    return domain.domain if domain else ""
