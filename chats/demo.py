"""Demo chats, added by `manage.py seed_demo` in each demo company (settings.DEMO_SEEDERS), after the CRM's
leads: a sandbox WhatsApp number (the simulator writes to it, and its replies come back as statuses) and a
few conversations in the company's language, one of them taken over by its seller. Does nothing when the
company already has conversations."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from chats.models import Conversation, Message
from chats.services.common import conversation_touch, preview_of
from chats.simulator import sandbox_number_id
from crm.models import Lead
from crm.public import timeline_add
from tenants.models import WhatsAppNumber

SCRIPTS = {
    "es": [
        [
            ("in", "Hola, ¿tenéis hueco esta semana para una primera visita?"),
            ("out", "¡Hola! Sí, el jueves a las 10:00 o a las 17:30. ¿Cuál te va mejor?"),
            ("in", "El jueves a las 10 perfecto"),
        ],
        [
            ("in", "¿Cuánto cuesta el servicio completo?"),
            ("out", "El servicio completo son 60 €. ¿Quieres que te reserve una cita?"),
        ],
        [("in", "Buenas, quería hablar con una persona"), ("out", "Claro, te paso con tu asesor ahora mismo.")],
        [("in", "Gracias por la atención de ayer 👍")],
    ],
    "fr": [
        [
            ("in", "Bonjour, vous avez une place cette semaine pour un premier rendez-vous ?"),
            ("out", "Bonjour ! Oui, jeudi à 10h00 ou à 17h30. Qu'est-ce qui vous arrange ?"),
            ("in", "Jeudi 10h, parfait"),
        ],
        [
            ("in", "Combien coûte le service complet ?"),
            ("out", "Le service complet est à 60 €. Voulez-vous que je réserve un rendez-vous ?"),
        ],
        [
            ("in", "Bonjour, je voudrais parler à une personne"),
            ("out", "Bien sûr, je vous passe votre conseiller tout de suite."),
        ],
        [("in", "Merci pour hier 👍")],
    ],
    "en": [
        [
            ("in", "Hi, do you have a slot this week for a first visit?"),
            ("out", "Hi! Yes, Thursday at 10:00 or 17:30. Which suits you best?"),
            ("in", "Thursday at 10 is perfect"),
        ],
        [("in", "How much is the full service?"), ("out", "The full service is 60 €. Shall I book you in?")],
        [
            ("in", "Hello, I'd like to talk to a person"),
            ("out", "Of course, I'm passing you to your adviser right now."),
        ],
        [("in", "Thanks for yesterday 👍")],
    ],
}


def seed(*, tenant, stdout=None) -> int:
    number, _ = WhatsAppNumber.objects.get_or_create(
        provider="sandbox",
        phone_number_id=sandbox_number_id(tenant),
        defaults={"tenant": tenant, "display_phone": "+1 555 0100 " + str(sum(map(ord, tenant.slug)) % 90 + 10)},
    )
    if Conversation.objects.exists():
        if stdout is not None:
            stdout.write(f"  {tenant.slug}: conversations already present, chats demo data left as it is")
        return 0
    scripts = SCRIPTS.get(tenant.language, SCRIPTS["en"])
    leads = list(Lead.objects.filter(erased_at__isnull=True).exclude(phone="").order_by("id")[: len(scripts)])
    now = timezone.now()
    created = 0
    for index, (lead, script) in enumerate(zip(leads, scripts, strict=False)):
        conversation = Conversation.objects.create(
            lead=lead, provider="sandbox", phone_number_id=number.phone_number_id, business_phone=number.display_phone
        )
        start = now - timedelta(hours=2 + index * 9, minutes=len(script) * 3)
        for step, (direction, text) in enumerate(script):
            at = start + timedelta(minutes=step * 3)
            message = Message.objects.create(
                conversation=conversation,
                direction=direction,
                kind="text",
                text=text,
                status="received" if direction == "in" else "read",
                sender="lead" if direction == "in" else "agent",
                provider_message_id=f"wamid.demo.{tenant.slug}.{conversation.pk}.{step}",
                provider_time=at if direction == "in" else None,
                sent_at=at if direction == "out" else None,
                read_at=at if direction == "out" else None,
            )
            Message.objects.filter(pk=message.pk).update(created_at=at)
            message.created_at = at
            conversation_touch(conversation=conversation, message=message, inbound=direction == "in")
            timeline_add(
                tenant=tenant,
                lead=lead,
                kind=f"whatsapp_{direction}",
                body=preview_of(message),
                data={"conversation": conversation.pk, "message": message.pk},
            )
            created += 1
        if index == 2 and lead.seller_id:
            Conversation.objects.filter(pk=conversation.pk).update(
                takeover_until=now + timedelta(hours=20), taken_over_by_id=lead.seller_id
            )
    if stdout is not None:
        stdout.write(f"  {tenant.slug}: {len(leads)} WhatsApp conversations on the sandbox number")
    return created
