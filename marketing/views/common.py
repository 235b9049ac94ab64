"""What every marketing page shares: who may open it, and the connection banner."""

from __future__ import annotations

from tenants.models import Role

MARKETERS = (Role.OWNER, Role.MARKETING)


def connection_state() -> dict:
    """For the banner on every marketing page: the connection, and whether it expires soon or was revoked."""
    from marketing.models import MetaConnection

    connection = MetaConnection.objects.first()
    return {"connection": connection}


def seller_choices(tenant) -> list[tuple[int, str]]:
    from tenants.models import Membership, MembershipStatus

    members = (
        Membership.objects.filter(tenant=tenant, status=MembershipStatus.ACTIVE, role__in=[Role.SELLER, Role.OWNER])
        .select_related("user")
        .order_by("user__full_name")
    )
    return [(m.user_id, m.user.full_name or m.user.email) for m in members]
