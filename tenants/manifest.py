"""What tenants contributes to the shared parts (see core.registry): staff and settings pages, and the
audit actions of sign-in, people, companies and credentials."""

from django.utils.translation import gettext_lazy as _

from core.registry import SidebarEntry
from tenants.models import Role

SIDEBAR = [
    SidebarEntry(
        "tenants:staff",
        _("Staff"),
        "badge",
        (Role.OWNER,),
        order=90,
        badge_template="tenants/partials/_pending_badge.html",
        badge_context="tenants.selectors.pending_badge_context",
    ),
    SidebarEntry("tenants:settings", _("Settings"), "gear", (Role.OWNER,), order=110),
]

AUDIT_LABELS = {
    "login": _("Signed in"),
    "logout": _("Signed out"),
    "login.failed": _("Failed sign-in"),
    "login.throttled": _("Sign-in blocked: too many attempts"),
    "register.throttled": _("Registration blocked: too many attempts"),
    "password_reset.request": _("Password reset asked for"),
    "password_reset.throttled": _("Password reset blocked: too many requests"),
    "user.profile": _("Profile edited"),
    "user.password": _("Password changed"),
    "tenant.create": _("Company created"),
    "tenant.settings": _("Company settings changed"),
    "credential.set": _("Credentials saved"),
    "credential.delete": _("Credentials removed"),
    "membership.request": _("Asked to join"),
    "membership.approve": _("Request approved"),
    "membership.reject": _("Request rejected"),
    "membership.disable": _("Member disabled"),
    "membership.enable": _("Member re-enabled"),
    "member.update": _("Member edited"),
    "invitation.create": _("Invitation sent"),
    "invitation.revoke": _("Invitation withdrawn"),
    "invitation.accept": _("Invitation accepted"),
}
