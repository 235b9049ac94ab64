"""Apps declare their sidebar entries, audit labels and timeline kinds; core only collects them."""

from __future__ import annotations

import types

import pytest

from core import registry
from core.registry import SidebarEntry, TimelineKind


def test_sidebar_is_collected_from_the_apps_in_order():
    names = [entry.url_name for entry in registry.sidebar_entries()]

    assert names[:3] == ["crm:dashboard", "crm:lead-list", "crm:board"]
    assert {"tenants:staff", "tenants:settings", "core:audit-list"} <= set(names)
    orders = [entry.order for entry in registry.sidebar_entries()]
    assert orders == sorted(orders)


def test_audit_labels_come_from_the_app_that_records_them(settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        assert registry.audit_label("lead.move") == "Lead moved"
        assert registry.audit_label("membership.approve") == "Request approved"
        assert registry.audit_label("never.declared") == "never.declared"
    with translation.override("es"):
        assert registry.audit_label("lead.move") != "Lead moved"


def test_timeline_kinds_name_their_templates():
    assert registry.timeline_kind("note").template == "crm/timeline/_note.html"
    assert registry.timeline_kind("unknown") is None


def test_a_code_declared_twice_is_refused(monkeypatch):
    first = types.SimpleNamespace(TIMELINE_KINDS=[TimelineKind("x", "X", "a.html")])
    second = types.SimpleNamespace(TIMELINE_KINDS=[TimelineKind("x", "X again", "b.html")])
    monkeypatch.setattr(registry, "_manifests", lambda: iter([("one", first), ("two", second)]))
    registry.declarations.cache_clear()
    try:
        with pytest.raises(registry.ImproperlyDeclared, match="two declares the timeline kind 'x'"):
            registry.declarations()
    finally:
        monkeypatch.undo()
        registry.declarations.cache_clear()


def test_a_new_app_adds_a_sidebar_entry_without_touching_core(monkeypatch, client_for, owner):
    extra = types.SimpleNamespace(
        SIDEBAR=[SidebarEntry("core:audit-list", "Declared elsewhere", "star", ("owner",), order=5)]
    )
    real = list(registry._manifests())
    monkeypatch.setattr(registry, "_manifests", lambda: iter([*[(n, m) for n, m in real if n != "core"], ("x", extra)]))
    registry.declarations.cache_clear()
    try:
        body = client_for(owner).get("/audit/").content.decode()
    finally:
        monkeypatch.undo()
        registry.declarations.cache_clear()

    assert "Declared elsewhere" in body
    assert body.index("Declared elsewhere") < body.index('data-nav="crm:dashboard"')
