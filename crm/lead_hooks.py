"""What other apps do when the CRM merges two leads, deletes one, or erases a person's data.

An app that keeps something about a lead (appointments, chat messages, sales documents, ad payloads)
declares in its `<app>/manifest.py`:

    from crm.lead_hooks import LeadHandlers

    LEAD_HANDLERS = LeadHandlers(
        merge="agenda.services.lead_merged",   # (*, tenant, source: Lead, target: Lead, actor) -> None
        erase="agenda.services.lead_erase",    # (*, tenant, lead: Lead, actor) -> None
        delete="agenda.services.lead_deleted", # (*, tenant, lead: Lead, actor) -> None
    )

Each handler runs inside the CRM's transaction, before the CRM does its own part, so an error rolls the
whole operation back. What each must do:
- merge: `source` is about to be deleted and `target` kept. Move or combine what points at `source`
  (anything that cannot simply be moved: a unique row per lead, a denormalised name or phone). Rows with a
  plain foreign key to Lead that the handler leaves alone are then moved to `target` by the CRM.
- erase: remove every personal value the app holds about `lead` (texts, names, phones, files, raw
  payloads), keeping what figures need (dates, amounts, statuses, counts). The lead row stays.
- delete: the lead is about to be deleted; rows with an on_delete=CASCADE key go with it. Clean up what
  would stay behind (files, rows linked without a key).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps

from core.registry import resolve_callable


@dataclass(frozen=True)
class LeadHandlers:
    merge: str = ""
    erase: str = ""
    delete: str = ""


def lead_handlers() -> list[tuple[str, LeadHandlers]]:
    """(app name, handlers) for every installed app that declares LEAD_HANDLERS, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.manifest"
        if find_spec(config.name) is None or find_spec(name) is None:
            continue
        handlers = getattr(import_module(name), "LEAD_HANDLERS", None)
        if handlers is not None:
            found.append((config.name, handlers))
    return found


def run_lead_handlers(operation: str, **kwargs) -> None:
    """Calls each app's handler for `operation` (merge, erase or delete) with `kwargs`."""
    for _app, handlers in lead_handlers():
        path = getattr(handlers, operation)
        if path:
            resolve_callable(path)(**kwargs)
