"""Reads about tenants, people and memberships."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

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
    """Requests waiting for an answer first, then active members, then disabled ones; by name within each."""
    members = Membership.objects.filter(tenant=tenant).select_related("user", "decided_by")
    if status:
        members = members.filter(status=status)
    if search:
        from django.db.models import Q

        members = members.filter(Q(user__full_name__icontains=search) | Q(user__email__icontains=search))
    waiting_first = Case(
        When(status=MembershipStatus.PENDING, then=Value(0)),
        When(status=MembershipStatus.ACTIVE, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return members.order_by(waiting_first, "user__full_name", "pk")


def membership_state(request) -> Membership | None:
    """The signed-in user's pending or disabled membership in the request's company (None otherwise): what
    the "no access" page tells them."""
    user, tenant = getattr(request, "user", None), getattr(request, "tenant", None)
    if user is None or not user.is_authenticated or tenant is None or tenant.schema_name == "public":
        return None
    return (
        Membership.objects.select_related("tenant")
        .filter(user=user, tenant=tenant, status__in=[MembershipStatus.PENDING, MembershipStatus.DISABLED])
        .first()
    )


def pending_invitations(*, tenant: Tenant) -> list:
    """Invitations not answered yet (expired ones too, so an owner can send them again), newest first."""
    from tenants.models import Invitation

    return list(
        Invitation.objects.filter(tenant=tenant, status=Invitation.Status.PENDING)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def pending_count(*, tenant: Tenant) -> int:
    return Membership.objects.filter(tenant=tenant, status=MembershipStatus.PENDING).count()


def tenant_primary_domain(*, tenant: Tenant) -> str:
    domain = tenant.domains.filter(is_primary=True).first() or tenant.domains.first()
    return domain.domain if domain else ""


def pending_badge_context(request, membership) -> dict | None:
    """The Staff link's badge: the number of requests waiting for an owner (owners only)."""
    from tenants.models import Role

    if membership.role != Role.OWNER:
        return None
    return {"pending_count": pending_count(tenant=membership.tenant)}


def active_members(*, tenant: Tenant, roles=None) -> QuerySet[Membership]:
    """The active members of `tenant` with one of `roles` (every role when None), with their users, by
    name. The one answer to "who works here as ...": assignable sellers, round-robin, notifications."""
    members = Membership.objects.filter(tenant=tenant, status=MembershipStatus.ACTIVE)
    if roles is not None:
        members = members.filter(role__in=list(roles))
    return members.select_related("user").order_by("user__full_name", "user_id")
