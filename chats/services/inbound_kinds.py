"""What two inbound kinds do beyond being stored: a `system` message saying the person changed their number
moves the lead's phone to the new one, and a catalog `order` is written to the lead's history and becomes a
draft quote. Called by chats.services.inbound.message_receive, inside its transaction, once per message
(a redelivered message is never stored twice, so neither runs twice)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from chats.models import Conversation, Message
from core.actors import SYSTEM
from core.audit import audit_log
from core.phones import whatsapp_wa_id_to_e164

ORDER_ORIGIN = "chats.order"


# A changed number -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberChange:
    old_phone: str
    new_phone: str
    lead: object  # crm.models.Lead: the lead the conversation belongs to
    other: object | None = None  # another lead that already has the new phone (never merged here)

    @property
    def applies(self) -> bool:
        """The lead has the old phone and nobody has the new one: the lead's phone is moved."""
        return self.other is None and self.lead.phone == self.old_phone

    def payload(self) -> dict:
        data = {"old_phone": self.old_phone, "new_phone": self.new_phone}
        if self.other is not None:
            data["conflict_lead"] = self.other.pk
        return data


def number_change_prepare(*, tenant, from_phone: str, new_wa_id: str) -> NumberChange:
    """Reads what a number change is about, changing nothing: the new WhatsApp id in canonical E.164
    (raises ApplicationError when it is not a phone number), the lead with the old phone and any lead that
    already has the new one. With no lead on the old phone the notice goes to the lead on the new phone,
    created when there is none."""
    from crm.public import lead_find_by_phone, lead_phone, lead_upsert_by_phone

    new_phone = whatsapp_wa_id_to_e164(new_wa_id)
    old_phone = lead_phone(tenant=tenant, phone="+" + from_phone.lstrip("+"))
    lead = lead_find_by_phone(tenant=tenant, phone=old_phone)
    other = lead_find_by_phone(tenant=tenant, phone=new_phone) if new_phone != old_phone else None
    if lead is None:
        lead = other or lead_upsert_by_phone(tenant=tenant, phone=new_phone, actor=SYSTEM, source="whatsapp")[0]
        other = None
    elif other is not None and other.pk == lead.pk:
        other = None
    return NumberChange(old_phone=old_phone, new_phone=new_phone, lead=lead, other=other)


def number_change_apply(*, tenant, change: NumberChange, conversation: Conversation, message: Message) -> None:
    """Moves the lead's phone to the new number (audited and in its history as done by the system: later
    messages from the new number land on this lead and conversation), or, when another lead already has
    the new number, keeps both as they are, writes the clash to both histories, audits it and notifies
    both leads' sellers (the owners for a lead without one) so a person decides whether to merge them."""
    from crm.public import lead_update, timeline_add

    lead, data = change.lead, {**change.payload(), "conversation": conversation.pk, "message": message.pk}
    if change.other is None:
        if change.applies:
            lead = lead_update(tenant=tenant, lead=lead, actor=SYSTEM, phone=change.new_phone)
        timeline_add(
            tenant=tenant, lead=lead, kind="whatsapp_number_changed", actor=SYSTEM, body=message.text, data=data
        )
        return
    other = change.other
    for one, counterpart in ((lead, other), (other, lead)):
        timeline_add(
            tenant=tenant,
            lead=one,
            kind="whatsapp_number_conflict",
            actor=SYSTEM,
            body=message.text,
            data={**data, "other_lead": counterpart.pk, "other_name": str(counterpart)},
        )
    audit_log(
        action="chats.number_conflict",
        actor=SYSTEM,
        obj=lead,
        changes={"phone": {"before": change.old_phone, "after": change.new_phone}, "other_lead": other.pk},
    )
    _notify_conflict(tenant=tenant, lead=lead, other=other, change=change, conversation=conversation, message=message)


def _notify_conflict(*, tenant, lead, other, change: NumberChange, conversation: Conversation, message: Message):
    from core.notifications import notify
    from tenants.models import Membership, MembershipStatus, Role

    recipients = {one.seller_id for one in (lead, other) if one.seller_id}
    if not (lead.seller_id and other.seller_id):
        recipients |= set(
            Membership.objects.filter(tenant=tenant, role=Role.OWNER, status=MembershipStatus.ACTIVE).values_list(
                "user_id", flat=True
            )
        )
    with override(tenant.language):
        text = _(
            "%(lead)s changed their WhatsApp number to %(phone)s, which is the phone of %(other)s. Both leads "
            "were kept: merge them if they are the same person."
        ) % {"lead": str(lead), "phone": change.new_phone, "other": str(other)}
    notify(
        tenant=tenant,
        user_ids=sorted(recipients),
        kind="chats.number_conflict",
        text=text,
        url=reverse("chats:conversation", args=[conversation.pk]),
        dedupe_key=f"number_conflict:{message.pk}",
    )


# A catalog order ------------------------------------------------------------------------------------------


def _decimal(value, default: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return default
    return number if number.is_finite() else default


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def order_items(*, tenant, payload: dict) -> dict:
    """The order's payload with, per item, the product's name when a product has the retailer id as its
    internal reference, and the subtotal; plus the total and the currency ("" when the items disagree)."""
    from crm.public import products_by_sku

    items = [dict(item) for item in payload.get("items") or []]
    products = products_by_sku(tenant=tenant, skus=[item.get("retailer_id", "") for item in items])
    cent = Decimal("0.01")
    total = Decimal(0)
    for item in items:
        quantity, price = _decimal(item.get("quantity"), Decimal(1)), _decimal(item.get("price"), Decimal(0))
        product = products.get(str(item.get("retailer_id", "")).lower())
        item["name"] = product.name if product else ""
        item["product_id"] = product.pk if product else None
        item["quantity"], item["price"] = _plain(quantity), _plain(price)
        subtotal = (quantity * price).quantize(cent, rounding=ROUND_HALF_UP)
        item["subtotal"] = str(subtotal)
        total += subtotal
    currencies = {item.get("currency", "") for item in items}
    return {
        **payload,
        "items": items,
        "total": str(total.quantize(cent)),
        "currency": currencies.pop() if len(currencies) == 1 else "",
    }


def order_summary(payload: dict) -> str:
    """One line: "2 × Shampoo (sku-1) · 1 × sku-2 · 39.00 EUR"."""
    parts = []
    for item in payload.get("items") or []:
        what = f"{item['name']} ({item['retailer_id']})" if item.get("name") else item.get("retailer_id", "?")
        parts.append(f"{item.get('quantity')} × {what}")
    parts.append(f"{payload.get('total', '')} {payload.get('currency', '')}".strip())
    return " · ".join(parts)


def order_convert(*, tenant, lead, conversation: Conversation, message: Message, actor) -> Message:
    """Writes the order to the lead's history (items and total) and, when its prices are in the company's
    currency, makes a draft quote with one line per item (the product with that internal reference, at the
    price the lead saw in the catalog, or a free-text line naming the retailer id), once per message. The
    quote's id (or why there is none) goes on the message, for its bubble."""
    from core.errors import ApplicationError
    from crm.public import products_by_sku, quote_create_for_origin, timeline_add

    payload = dict(message.payload)
    currency = payload.get("currency", "")
    if currency and currency == tenant.currency:
        products = products_by_sku(tenant=tenant, skus=[item["retailer_id"] for item in payload["items"]])
        lines = []
        for item in payload["items"]:
            line = {"quantity": Decimal(item["quantity"]), "unit_price": Decimal(item["price"])}
            product = products.get(item["retailer_id"].lower())
            if product is not None:
                line["product"] = product
            else:
                line["description"] = item["retailer_id"] or _("Catalog item")
            lines.append(line)
        try:
            quote, _created = quote_create_for_origin(
                tenant=tenant,
                lead=lead,
                actor=actor,
                origin_type=ORDER_ORIGIN,
                origin_id=str(message.pk),
                lines=lines,
                notes=message.text,
            )
            payload["document_id"] = quote.pk
        except ApplicationError as error:
            payload["quote_error"] = str(error.message if hasattr(error, "message") else error)[:255]
    else:
        payload["quote_error"] = "currency"
    Message.objects.filter(pk=message.pk).update(payload=payload)
    message.payload = payload
    timeline_add(
        tenant=tenant,
        lead=lead,
        kind="whatsapp_order",
        actor=actor,
        body=order_summary(payload),
        data={
            "conversation": conversation.pk,
            "message": message.pk,
            "items": payload["items"],
            "total": payload["total"],
            "currency": currency,
            "document_id": payload.get("document_id"),
        },
    )
    return message
