"""What the documents pages take from the accounting sync (`odoo_sync`), when that app provides it.

The documents work without it. `odoo_sync.selectors` may define:
- `document_sync_state(document)`: the sync state of one document (shown on its page, where the
  template `odoo_sync/partials/_document_sync.html` renders it with `document` and `sync_state`,
  and offers "send to Odoo");
- `document_sync_states(documents) -> {document id: state label}`: the same for a page of the list, in a
  fixed number of queries;
- `SYNC_STATE_CHOICES` and `filter_documents_by_sync_state(queryset, state) -> queryset`: the list's
  "sync state" filter.
Anything missing is simply not shown."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.util import find_spec

from django.template import TemplateDoesNotExist
from django.template.loader import get_template

SYNC_TEMPLATE = "odoo_sync/partials/_document_sync.html"


@cache
def _selectors():
    try:
        if find_spec("odoo_sync") is None or find_spec("odoo_sync.selectors") is None:
            return None
    except ModuleNotFoundError:
        return None
    return import_module("odoo_sync.selectors")


def _function(name: str):
    module = _selectors()
    return getattr(module, name, None) if module is not None else None


@cache
def sync_template() -> str:
    """The sync partial's name when it exists, else an empty string."""
    try:
        get_template(SYNC_TEMPLATE)
    except TemplateDoesNotExist:
        return ""
    return SYNC_TEMPLATE


def sync_state(document):
    function = _function("document_sync_state")
    return function(document) if function else None


def sync_states(documents) -> dict:
    function = _function("document_sync_states")
    return function(documents) if function else {}


def sync_state_choices() -> list[tuple[str, str]]:
    module = _selectors()
    if module is None or not hasattr(module, "filter_documents_by_sync_state"):
        return []
    return list(getattr(module, "SYNC_STATE_CHOICES", []))


def filter_by_sync_state(documents, state: str):
    function = _function("filter_documents_by_sync_state")
    return function(documents, state) if function else documents
