"""What each app contributes to the shared parts of the product, collected from the apps themselves.

An app declares, in a module `<app>/manifest.py`, any of:
- `SIDEBAR`: a list of `SidebarEntry` (its pages in the sidebar, with the roles that see them and an
  optional badge);
- `AUDIT_LABELS`: a dict from the audit action codes it records (`lead.move`) to human labels;
- `TIMELINE_KINDS`: a list of `TimelineKind` (the entries it writes to a lead's history, with the
  template that renders each);
- `NOTIFICATION_KINDS`: a list of `NotificationKind` (the in-app notifications it sends).

Core reads those declarations here and never lists another app's pages, actions or kinds itself, so a
new app adds itself without editing core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.utils.functional import Promise


@dataclass(frozen=True)
class SidebarEntry:
    """A link in the sidebar. It shows only once `url_name` resolves (a capability without pages stays
    hidden), only to `roles` (None: every member), in `order`. `badge_template` is included inside the
    link with the context that `badge_context(request, membership)` returns (a dotted path to a
    function); returning None hides the badge for that member."""

    url_name: str
    label: str | Promise
    icon: str
    roles: tuple[str, ...] | None
    order: int
    badge_template: str = ""
    badge_context: str = ""


@dataclass(frozen=True)
class TimelineKind:
    """An entry kind of a lead's history, rendered by `template` with `entry` in its context."""

    code: str
    label: str | Promise
    template: str


@dataclass(frozen=True)
class NotificationKind:
    """An in-app notification kind. `sound` asks open pages to play the notification sound."""

    code: str
    label: str | Promise
    sound: bool = False


@dataclass(frozen=True)
class Declarations:
    sidebar: tuple[SidebarEntry, ...] = ()
    audit_labels: dict = field(default_factory=dict)
    timeline_kinds: dict = field(default_factory=dict)
    notification_kinds: dict = field(default_factory=dict)


def _manifests():
    for config in apps.get_app_configs():
        name = f"{config.name}.manifest"
        if find_spec(config.name) is not None and find_spec(name) is not None:
            yield config.name, import_module(name)


@cache
def declarations() -> Declarations:
    """Everything the installed apps declare. Two apps declaring the same code is a programming error."""
    sidebar: list[SidebarEntry] = []
    audit_labels: dict = {}
    timeline_kinds: dict = {}
    notification_kinds: dict = {}
    for app_name, manifest in _manifests():
        sidebar.extend(getattr(manifest, "SIDEBAR", ()))
        for code, label in getattr(manifest, "AUDIT_LABELS", {}).items():
            if code in audit_labels:
                raise ImproperlyDeclared(f"{app_name} declares the audit action {code!r} again")
            audit_labels[code] = label
        for kind in getattr(manifest, "TIMELINE_KINDS", ()):
            if kind.code in timeline_kinds:
                raise ImproperlyDeclared(f"{app_name} declares the timeline kind {kind.code!r} again")
            timeline_kinds[kind.code] = kind
        for kind in getattr(manifest, "NOTIFICATION_KINDS", ()):
            if kind.code in notification_kinds:
                raise ImproperlyDeclared(f"{app_name} declares the notification kind {kind.code!r} again")
            notification_kinds[kind.code] = kind
    return Declarations(
        sidebar=tuple(sorted(sidebar, key=lambda entry: entry.order)),
        audit_labels=audit_labels,
        timeline_kinds=timeline_kinds,
        notification_kinds=notification_kinds,
    )


class ImproperlyDeclared(Exception):
    pass


def sidebar_entries() -> tuple[SidebarEntry, ...]:
    return declarations().sidebar


def audit_label(code: str) -> str:
    """`lead.move` -> "Lead moved" in the active language; an undeclared code as recorded."""
    label = declarations().audit_labels.get(code)
    return str(label) if label is not None else code


def timeline_kind(code: str) -> TimelineKind | None:
    return declarations().timeline_kinds.get(code)


def notification_kind(code: str) -> NotificationKind | None:
    return declarations().notification_kinds.get(code)


def resolve_callable(path: str):
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)
