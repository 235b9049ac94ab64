"""The CRM's face for the other apps (agenda, chats, marketing, odoo_sync): find or create a lead by
phone, set where it came from, write to its history, the few lead changes other apps make, and what the
accounting sync reads and reports about sales documents. Other apps use only this module (and
`crm.models` for reading and linking: Lead, SalesDocument, SalesDocumentLine, Product); the rest of `crm`
is its own.

Every function takes the company explicitly and checks the connection is in its schema
(`core.tenancy.check_tenant`). `actor` is a person, a `core.actors.Actor` (the AI agent, the system, a lead
on a public page) or None for the system.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from core.phones import normalize_phone
from core.tenancy import check_tenant
from crm.models import Lead, SalesDocument, Stage, TimelineEntry
from crm.services import leads as lead_services
from crm.services.timeline import timeline_add as _timeline_add

ATTRIBUTION_FIELDS = (
    "meta_campaign_id", "meta_adset_id", "meta_ad_id", "ad_headline", "ad_body", "click_id",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
)  # fmt: skip


def lead_phone(*, tenant, phone: str) -> str:
    """`phone` as the company stores it: canonical E.164 read with the company's country. Raises
    ApplicationError when it is not a phone number."""
    return normalize_phone(phone, region=tenant.country)


def lead_find_by_phone(*, tenant, phone: str) -> Lead | None:
    check_tenant(tenant)
    return Lead.objects.filter(phone=lead_phone(tenant=tenant, phone=phone)).first()


def lead_upsert_by_phone(
    *,
    tenant,
    phone: str,
    actor=None,
    source: str,
    fields: dict | None = None,
    tags: list[str] | None = None,
    stage: Stage | None = None,
    seller_id: int | None = None,
) -> tuple[Lead, bool]:
    """The lead with this phone, created when there is none: `(lead, created)`.

    Race-free: calls for the same phone at the same time, from any number of workers, give one lead and
    never an IntegrityError (the loser of the insert waits for the winner's commit and returns its lead).
    A new lead gets `fields`, `tags`, `stage` (default: the first open stage), `seller_id` (default: the
    company's assignment rule), `source`, and its creation in the history and audit log. An existing lead
    only has its empty fields filled from `fields` (a name typed by a seller is never overwritten).
    Raises ApplicationError for a phone that is not one."""
    check_tenant(tenant)
    e164 = lead_phone(tenant=tenant, phone=phone)
    fields = {name: value for name, value in (fields or {}).items() if value not in (None, "")}
    existing = Lead.objects.filter(phone=e164).first()
    if existing is None:
        try:
            with transaction.atomic():
                lead = lead_services.lead_create(
                    actor=actor, phone=e164, stage=stage, seller_id=seller_id, tags=tags, source=source, **fields
                )
            return lead, True
        except (lead_services.DuplicateLead, IntegrityError):
            existing = Lead.objects.get(phone=e164)
    blanks = {name: value for name, value in fields.items() if not getattr(existing, name)}
    if blanks:
        existing = lead_services.lead_update(lead=existing, actor=actor, **blanks)
    return existing, False


def lead_set_attribution(*, tenant, lead: Lead, actor=None, overwrite: bool = False, **attribution) -> Lead:
    """Records where the lead came from (Meta campaign / ad set / ad, ad texts, click id, UTM fields).
    First touch wins: a lead that already has an attribution keeps it unless `overwrite`."""
    check_tenant(tenant)
    unknown = set(attribution) - set(ATTRIBUTION_FIELDS)
    if unknown:
        raise ValueError(f"not attribution fields: {', '.join(sorted(unknown))}")
    values = {name: str(value)[:255] for name, value in attribution.items() if value not in (None, "")}
    if not overwrite and any(getattr(lead, name) for name in ATTRIBUTION_FIELDS):
        return lead
    changed = {name: value for name, value in values.items() if getattr(lead, name) != value}
    if not changed:
        return lead
    return lead_services.lead_update(lead=lead, actor=actor, **changed)


def timeline_add(
    *, tenant, lead: Lead, kind: str, actor=None, body: str = "", data: dict | None = None
) -> TimelineEntry:
    """Adds an entry of `kind` (declared by the calling app in its manifest's TIMELINE_KINDS) to the
    lead's history."""
    check_tenant(tenant)
    return _timeline_add(lead=lead, kind=kind, actor=actor, body=body, data=data)


def lead_touch_contact(*, tenant, lead: Lead, at) -> None:
    """The lead was in contact at `at` (a message, a visit): moves its last contact forward, never back."""
    check_tenant(tenant)
    Lead.objects.filter(pk=lead.pk).exclude(last_contact_at__gte=at).update(last_contact_at=at)


def lead_update(*, tenant, lead: Lead, actor=None, **fields) -> Lead:
    """Edits a lead's facts (score and its reason, language, name, email...), audited and in its history."""
    check_tenant(tenant)
    return lead_services.lead_update(lead=lead, actor=actor, **fields)


def lead_move(*, tenant, lead: Lead, stage: Stage, actor=None, lost_reason: str = "") -> Lead:
    check_tenant(tenant)
    return lead_services.lead_move(lead=lead, stage=stage, actor=actor, lost_reason=lost_reason)


def lead_assign(*, tenant, lead: Lead, seller_id: int | None, actor=None) -> Lead:
    check_tenant(tenant)
    return lead_services.lead_assign(lead=lead, seller_id=seller_id, actor=actor)


def lead_add_tag(*, tenant, lead: Lead, tag: str, actor=None) -> None:
    check_tenant(tenant)
    lead_services.leads_bulk_tag(leads=[lead], tag=tag, actor=actor)


def lead_visible_to(*, membership, lead_id: int) -> Lead | None:
    """The lead if this member may see it (owners: every lead; sellers: their own), else None."""
    from crm.selectors.leads import visible_leads

    return visible_leads(membership=membership).filter(pk=lead_id).first()


def pipeline_stages() -> list[Stage]:
    from crm.selectors.leads import stages

    return stages()


# Sales documents, for the accounting sync (odoo_sync) ----------------------------------------------------


def documents_for_sync(*, tenant, ids) -> list[SalesDocument]:
    """The documents with these ids (unknown ids left out), in id order, with their lead, seller, parent,
    lines (with their products) and payments already read."""
    from crm.selectors.sales_documents import documents_for_sync as read

    check_tenant(tenant)
    return read(ids=ids)


def document_mark_posted_from_external(*, tenant, document: SalesDocument, actor=None) -> SalesDocument:
    """The accounting system posted this invoice or credit note. A draft is posted here too (numbered,
    audited, in the lead's history); a posted, partly paid or paid one is returned unchanged, so calling
    this again is harmless. Raises ApplicationError for another kind or a cancelled document."""
    from crm.services.sales_documents_flow import mark_posted_from_external

    check_tenant(tenant)
    return mark_posted_from_external(document=document, actor=actor)


def document_mark_paid_from_external(
    *, tenant, document: SalesDocument, amount_paid: Decimal, actor=None
) -> SalesDocument:
    """The accounting system says `amount_paid` of this invoice is paid in all. More than recorded here:
    the difference becomes one payment (bank transfer, marked as from accounting, never more than is due)
    and the invoice is partly paid or paid; otherwise nothing changes (idempotent). A draft is posted
    first. Raises ApplicationError for another kind or a cancelled invoice."""
    from crm.services.sales_documents_flow import mark_paid_from_external

    check_tenant(tenant)
    return mark_paid_from_external(document=document, amount_paid=amount_paid, actor=actor)


def document_flag_external_cancel(*, tenant, document: SalesDocument, actor=None, note: str = "") -> SalesDocument:
    """The accounting system cancelled this document. Nothing is cancelled here (a posted invoice is
    corrected by a person, with a credit note); the document page shows `note` until then. Audited and
    in the lead's history once per distinct note."""
    from crm.services.sales_documents_flow import flag_external_cancel

    check_tenant(tenant)
    return flag_external_cancel(document=document, actor=actor, note=note)


# Sales documents made by other apps (chats: a WhatsApp catalog order) ------------------------------------


def products_by_sku(*, tenant, skus) -> dict:
    """The active products whose internal reference is one of `skus`, case-insensitively:
    {lower-case sku: Product}. Unknown references are left out."""
    from django.db.models.functions import Lower

    from crm.models import Product

    check_tenant(tenant)
    wanted = {str(sku).strip().lower() for sku in skus if str(sku or "").strip()}
    if not wanted:
        return {}
    found = Product.objects.annotate(sku_lower=Lower("sku")).filter(active=True, sku_lower__in=wanted)
    return {product.sku_lower: product for product in found}


def document_for_origin(*, tenant, origin_type: str, origin_id: str) -> SalesDocument | None:
    """The live (not cancelled) document another app made for `origin_type` `origin_id`, if any."""
    check_tenant(tenant)
    return (
        SalesDocument.objects.filter(origin_type=origin_type, origin_id=str(origin_id))
        .exclude(state=SalesDocument.State.CANCELLED)
        .order_by("id")
        .first()
    )


def quote_create_for_origin(
    *, tenant, lead: Lead, actor=None, origin_type: str, origin_id: str, lines: list[dict], notes: str = ""
) -> tuple[SalesDocument, bool]:
    """A draft quote for `lead` made for something of another app (`origin_type` `origin_id`, e.g.
    "chats.order" and a message id), once: `(quote, created)`, the existing live one when there is one.
    `lines` are dicts of line fields (description, quantity, unit_price...) and/or a `product`; the quote
    is in the company's currency, with the lead's seller, audited and in the lead's history. Raises
    ApplicationError (nothing written) when a line is refused."""
    from crm.services.sales_documents import document_create

    check_tenant(tenant)
    existing = document_for_origin(tenant=tenant, origin_type=origin_type, origin_id=origin_id)
    if existing is not None:
        return existing, False
    document = document_create(
        lead=lead, kind=SalesDocument.Kind.QUOTE, actor=actor, lines=lines, notes=notes, origin=(origin_type, origin_id)
    )
    return document, True
