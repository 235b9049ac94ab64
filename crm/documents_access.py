"""Who may see and handle which sales documents. One place for the rules the pages and their tests use.

- Owners: everything.
- Sellers: the documents of their own leads. They write the sales side (quotes, orders, delivery
  notes) and read the rest (invoices, credit notes).
- Accountants: every document. They write the accounting side (invoices, credit notes, payments) and
  send documents to the accounting system.
- Marketing: nothing here.

An action is allowed when the member may write the kind of document the action writes: confirming an
order writes the order, "invoice" on an order writes an invoice, a payment writes the invoice."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import Lead, SalesDocument
from tenants.models import Membership, Role

Kind = SalesDocument.Kind

VIEW_ROLES = (Role.OWNER, Role.SELLER, Role.ACCOUNTANT)
PRODUCT_EDIT_ROLES = (Role.OWNER, Role.ACCOUNTANT)
SELLER_KINDS = frozenset({Kind.QUOTE, Kind.ORDER, Kind.DELIVERY})
ACCOUNTANT_KINDS = frozenset({Kind.INVOICE, Kind.CREDIT_NOTE})
# The kinds made from nothing but a lead (the others come from a parent document).
CREATABLE_KINDS = (Kind.QUOTE, Kind.ORDER, Kind.INVOICE)

# What each action on a document writes: None for the document itself, else the kind it creates.
ACTION_WRITES = {
    "edit": None,
    "send": None,
    "accept": None,
    "reject": None,
    "convert": Kind.ORDER,
    "confirm": None,
    "deliver": Kind.DELIVERY,
    "validate": None,
    "invoice": Kind.INVOICE,
    "post": None,
    "credit": Kind.CREDIT_NOTE,
    "payment": None,
    "cancel": None,
}


def visible_documents(*, membership: Membership) -> QuerySet[SalesDocument]:
    documents = SalesDocument.objects.all()
    if membership.role in (Role.OWNER, Role.ACCOUNTANT):
        return documents
    if membership.role == Role.SELLER:
        return documents.filter(lead__seller_id=membership.user_id)
    return documents.none()


def can_view(*, membership: Membership, document: SalesDocument) -> bool:
    if membership.role in (Role.OWNER, Role.ACCOUNTANT):
        return True
    return membership.role == Role.SELLER and document.lead.seller_id == membership.user_id


def can_write(*, membership: Membership, kind: str, lead: Lead) -> bool:
    """May this member write a document of `kind` for `lead`?"""
    if membership.role == Role.OWNER:
        return True
    if membership.role == Role.SELLER:
        return kind in SELLER_KINDS and lead.seller_id == membership.user_id
    if membership.role == Role.ACCOUNTANT:
        return kind in ACCOUNTANT_KINDS
    return False


def can_act(*, membership: Membership, document: SalesDocument, operation: str) -> bool:
    """May this member do `operation` (a key of ACTION_WRITES) on the document?"""
    if operation not in ACTION_WRITES:
        return False
    kind = ACTION_WRITES[operation] or document.kind
    return can_write(membership=membership, kind=kind, lead=document.lead)


def creatable_kinds(*, membership: Membership, lead: Lead) -> list[str]:
    """The kinds this member may start for the lead (from its page)."""
    return [kind for kind in CREATABLE_KINDS if can_write(membership=membership, kind=kind, lead=lead)]
