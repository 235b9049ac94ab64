"""Seeding: fast generation of realistic leads with their history, for the demo, the benchmark and the
browser tests.

`seed_leads` writes leads, their tags and their timeline (created, stage changes with realistic
timestamps, notes, calls; lost reasons; next steps) straight into the current tenant's tables with
PostgreSQL COPY: tens of thousands of leads in seconds. Deterministic for a given `rng` and `now`.
It bypasses the services on purpose (no audit entries, no live events): it is data generation, not
user activity. Run it inside a tenant schema and a transaction."""

from __future__ import annotations

import random
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from core.text import fold
from crm.models import CallOutcome, Lead, Stage, Tag, TimelineEntry
from crm.search import search_text_for

FAKER_LOCALES = {"es": "es_ES", "en": "en_US", "fr": "fr_FR"}
US_AREAS = ("201", "212", "305", "312", "415", "512", "617", "646", "702", "713")

# Demo content in the tenant's language (data, not interface text).
CONTENT = {
    "es": {
        "tags": [
            "VIP",
            "Recurrente",
            "Feria 2026",
            "Sensible al precio",
            "Urgente",
            "Newsletter",
            "Empresa",
            "Particular",
        ],
        "notes": [
            "Pide presupuesto para la próxima semana.",
            "Interesado en el plan anual; comparar con la competencia.",
            "Prefiere que le contacten por WhatsApp por la tarde.",
            "Necesita la aprobación de su socio antes de decidir.",
            "Ha visitado la tienda y quiere una demostración.",
            "Pregunta por descuentos por volumen.",
            "Volver a llamar después de vacaciones.",
        ],
        # What a seller writes after a call, by its outcome; answered calls with a plausible length.
        "calls": {
            "answered": [
                ("Llamada breve, quiere más información por email.", 40, 180),
                ("Repasamos la propuesta punto por punto.", 600, 1500),
                ("Confirma interés, espera el presupuesto.", 120, 420),
            ],
            "no_answer": ["No contesta; vuelvo a llamar mañana.", "No coge el teléfono."],
            "voicemail": ["Salta el buzón; dejo mensaje para que nos llame.", "Dejo mensaje en el buzón de voz."],
            "busy": ["Comunica; lo intento más tarde."],
        },
        "next_actions": [
            "Enviar presupuesto",
            "Llamar para seguimiento",
            "Preparar demostración",
            "Confirmar la visita",
            "Enviar contrato",
            "Resolver dudas sobre el precio",
        ],
        "lost_reasons": [
            "Precio demasiado alto",
            "Eligió a la competencia",
            "Sin presupuesto este año",
            "No responde",
            "No era el momento",
        ],
        "system": {
            "website": "Formulario web",
            "whatsapp": "WhatsApp",
            "meta_ads": "Meta Ads",
            "import": "Importación",
        },
        "domains": ["gmail.com", "hotmail.es", "yahoo.es", "empresa.es", "outlook.com"],
    },
    "en": {
        "tags": [
            "VIP",
            "Returning",
            "Trade fair 2026",
            "Price-sensitive",
            "Urgent",
            "Newsletter",
            "Business",
            "Consumer",
        ],
        "notes": [
            "Wants a quote by next week.",
            "Interested in the annual plan; comparing with a competitor.",
            "Prefers WhatsApp in the afternoon.",
            "Needs sign-off from a partner before deciding.",
            "Visited the showroom and wants a demo.",
            "Asked about volume discounts.",
            "Call back after the holidays.",
        ],
        "calls": {
            "answered": [
                ("Short call, wants more details by email.", 40, 180),
                ("Went through the proposal point by point.", 600, 1500),
                ("Confirmed interest, waiting for the quote.", 120, 420),
            ],
            "no_answer": ["No answer; will try again tomorrow.", "Did not pick up."],
            "voicemail": ["Went to voicemail; left a message asking them to call back.", "Left a voicemail."],
            "busy": ["Line busy; will try later."],
        },
        "next_actions": [
            "Send the quote",
            "Follow-up call",
            "Prepare a demo",
            "Confirm the visit",
            "Send the contract",
            "Answer pricing questions",
        ],
        "lost_reasons": [
            "Price too high",
            "Went with a competitor",
            "No budget this year",
            "Stopped answering",
            "Bad timing",
        ],
        "system": {"website": "Website form", "whatsapp": "WhatsApp", "meta_ads": "Meta Ads", "import": "Import"},
        "domains": ["gmail.com", "yahoo.com", "outlook.com", "example.com", "icloud.com"],
    },
}
SOURCE_WEIGHTS = [
    (Lead.Source.META_ADS, 30),
    (Lead.Source.WEBSITE, 25),
    (Lead.Source.WHATSAPP, 20),
    (Lead.Source.REFERRAL, 12),
    (Lead.Source.MANUAL, 10),
    (Lead.Source.IMPORT, 3),
]
SCORE_WEIGHTS = [(Lead.Score.HOT, 20), (Lead.Score.WARM, 35), (Lead.Score.COLD, 25), ("", 20)]
CALL_OUTCOMES = [
    (CallOutcome.ANSWERED, 55), (CallOutcome.NO_ANSWER, 25), (CallOutcome.VOICEMAIL, 12), (CallOutcome.BUSY, 8),
]  # fmt: skip


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True)
class SeedResult:
    leads: int
    entries: int
    tags: int
    seconds: float


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


class _Names:
    """Pools of names drawn once from Faker, then combined: realistic and fast for 50,000 leads."""

    def __init__(self, *, language: str, rng: random.Random, size: int):
        from faker import Faker

        faker = Faker(FAKER_LOCALES.get(language, "en_US"))
        faker.seed_instance(rng.randrange(2**32))
        self.first = [faker.first_name() for _ in range(max(50, size // 4))]
        self.last = sorted({faker.last_name() for _ in range(max(100, size // 2))})
        self.companies = [faker.company() for _ in range(max(40, size // 6))]


def _phones(language: str, rng: random.Random):
    """Unique, valid numbers: Spanish mobiles or US numbers, in a shuffled-looking order."""
    offset = rng.randrange(10**7)
    n = 0
    while True:
        if language == "en":
            local = 2_000_000 + (offset + n * 7919) % 7_000_000
            yield f"+1{US_AREAS[n % len(US_AREAS)]}{local:07d}"
        else:
            yield f"+346{(offset + n * 7919) % 10**8:08d}"
        n += 1


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], objects: list[models.Model], *, with_pk: bool = True) -> None:
    """Writes model instances with COPY, every concrete field as it is on the instance (no save(),
    no auto_now): the caller sets timestamps and, with `with_pk`, ids from `_reserve_ids`."""
    if not objects:
        return
    fields = [
        field
        for field in model._meta.concrete_fields
        if (with_pk or not field.primary_key) and not getattr(field, "generated", False)
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objects:
            copy.write_row([field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields])


def ensure_tags(language: str) -> list[Tag]:
    names = CONTENT.get(language, CONTENT["en"])["tags"]
    return [Tag.objects.get_or_create(name=name)[0] for name in names]


@transaction.atomic
def seed_leads(
    *,
    count: int,
    sellers: list[Person],
    creator: Person | None,
    rng: random.Random,
    language: str = "es",
    now: datetime | None = None,
    days: int = 120,
    extra_entries: float = 0.8,
    unassigned_share: float = 0.05,
    batch_size: int = 5000,
) -> SeedResult:
    """Creates `count` leads in the current tenant, created over the last `days` days, spread over the
    pipeline's stages, `sellers`, sources and scores, each with its history. About 1 + stage changes +
    `extra_entries` timeline entries per lead. Returns what it wrote."""
    started = clock.monotonic()
    now = now or timezone.now()
    text = CONTENT.get(language, CONTENT["en"])
    stages = list(Stage.objects.order_by("position", "id"))
    open_stages = [stage for stage in stages if stage.kind == Stage.Kind.OPEN]
    won = next(stage for stage in stages if stage.kind == Stage.Kind.WON)
    lost = next(stage for stage in stages if stage.kind == Stage.Kind.LOST)
    tags = ensure_tags(language)
    names = _Names(language=language, rng=rng, size=min(count, 4000))
    phones = _phones(language, rng)
    Through = Lead.tags.through

    written_entries = 0
    for start in range(0, count, batch_size):
        size = min(batch_size, count - start)
        ids = _reserve_ids(Lead, size)
        leads, entries, links = [], [], []
        for lead_id in ids:
            lead, lead_entries, lead_tags = _one_lead(
                lead_id=lead_id,
                rng=rng,
                now=now,
                days=days,
                text=text,
                names=names,
                phone=next(phones),
                language=language,
                open_stages=open_stages,
                won=won,
                lost=lost,
                sellers=sellers,
                creator=creator,
                extra_entries=extra_entries,
                unassigned_share=unassigned_share,
            )
            leads.append(lead)
            entries.extend(lead_entries)
            links.extend(Through(lead_id=lead_id, tag_id=tag.pk) for tag in rng.sample(tags, k=lead_tags))
        copy_rows(Lead, leads)
        copy_rows(TimelineEntry, entries, with_pk=False)
        copy_rows(Through, links, with_pk=False)
        written_entries += len(entries)
    # Planner statistics now, and (outside a transaction) the vacuum autovacuum would otherwise start
    # in the middle of whatever runs next: a long-lived table is vacuumed and analysed.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in (Lead, TimelineEntry, Through):
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    return SeedResult(
        leads=count, entries=written_entries, tags=len(tags), seconds=round(clock.monotonic() - started, 2)
    )


def _one_lead(
    *,
    lead_id,
    rng,
    now,
    days,
    text,
    names,
    phone,
    language,
    open_stages,
    won,
    lost,
    sellers,
    creator,
    extra_entries,
    unassigned_share,
):
    created_at = now - timedelta(seconds=rng.uniform(60, days * 86400))
    age_days = (now - created_at).total_seconds() / 86400
    first, last = rng.choice(names.first), rng.choice(names.last)
    company = rng.choice(names.companies) if rng.random() < 0.45 else ""
    email = ""
    if rng.random() < 0.8:
        local = "".join(char for char in f"{fold(first)}.{fold(last)}" if char.isalnum() or char == ".")
        email = f"{local}{rng.randint(1, 99)}@{rng.choice(text['domains'])}"
    source = _weighted(rng, SOURCE_WEIGHTS)
    seller = None if (not sellers or rng.random() < unassigned_share) else rng.choice(sellers)

    # Where the lead ended up: younger leads are still early in the pipeline, older ones often closed.
    closed_chance = min(0.6, age_days / 90)
    if rng.random() < closed_chance:
        final = won if rng.random() < 0.45 else lost
        reached = rng.randint(1, len(open_stages)) if final is lost else len(open_stages)
    else:
        final = None
        limit = 1 + min(len(open_stages) - 1, int(age_days / 7))
        reached = rng.randint(1, limit)
    path = list(open_stages[:reached])
    if final is not None:
        path.append(final)
    span_end = min(now, created_at + timedelta(days=rng.uniform(1, 45)))
    moments = sorted(created_at + (span_end - created_at) * rng.uniform(0.05, 1) for _ in range(len(path) - 1))
    stage = path[-1]
    stage_changed_at = moments[-1] if moments else created_at

    actor_id = seller.id if seller else (creator.id if creator else None)
    actor_name = seller.name if seller else (creator.name if creator else "")
    system_label = text["system"].get(source)
    entries = [
        TimelineEntry(
            lead_id=lead_id,
            kind=TimelineEntry.Kind.CREATED,
            created_at=created_at,
            actor_id=None if system_label else (creator.id if creator else None),
            actor_label=system_label or (creator.name if creator else ""),
            body="",
            data={"source": str(source), "stage": path[0].display_name, "stage_id": path[0].pk},
        )
    ]
    lost_reason = rng.choice(text["lost_reasons"]) if final is lost else ""
    entered = created_at
    for previous, current, moment in zip(path, path[1:], moments, strict=False):
        data = {
            "from": previous.display_name,
            "to": current.display_name,
            "from_id": previous.pk,
            "to_id": current.pk,
            "seconds": int((moment - entered).total_seconds()),  # in `previous`, as lead_move records it
        }
        entered = moment
        body = ""
        if current is lost:
            data["lost_reason"] = body = lost_reason
        entries.append(
            TimelineEntry(
                lead_id=lead_id,
                kind=TimelineEntry.Kind.STAGE,
                created_at=moment,
                actor_id=actor_id,
                actor_label=actor_name,
                body=body,
                data=data,
            )
        )
    last_contact = None
    extras = int(extra_entries) + (1 if rng.random() < extra_entries % 1 else 0)
    extras = rng.randint(0, 2 * extras) if extras else 0
    for _ in range(extras):
        # Notes and calls happen while the lead is worked, so before a close.
        moment = created_at + ((stage_changed_at if final is not None else span_end) - created_at) * rng.random()
        if rng.random() < 0.5:
            outcome = _weighted(rng, CALL_OUTCOMES).value
            if outcome == "answered":
                body, shortest, longest = rng.choice(text["calls"][outcome])
                seconds = rng.randint(shortest, longest)
            else:
                body, seconds = rng.choice(text["calls"][outcome]), 0
            entries.append(
                TimelineEntry(
                    lead_id=lead_id,
                    kind=TimelineEntry.Kind.CALL,
                    created_at=moment,
                    actor_id=actor_id,
                    actor_label=actor_name,
                    body=body,
                    data={"outcome": outcome, "duration": seconds},
                )
            )
            last_contact = max(last_contact or moment, moment)
        else:
            entries.append(
                TimelineEntry(
                    lead_id=lead_id,
                    kind=TimelineEntry.Kind.NOTE,
                    created_at=moment,
                    actor_id=actor_id,
                    actor_label=actor_name,
                    body=rng.choice(text["notes"]),
                    data={},
                )
            )

    next_action, next_action_at = "", None
    if final is None and seller is not None and rng.random() < 0.65:
        next_action = rng.choice(text["next_actions"])
        due = now + timedelta(hours=rng.uniform(-3 * 24, 14 * 24))
        next_action_at = due.replace(minute=(due.minute // 15) * 15, second=0, microsecond=0)

    updated_at = max([created_at, stage_changed_at, *(entry.created_at for entry in entries)])
    lead = Lead(
        id=lead_id,
        phone=phone,
        first_name=first,
        last_name=last,
        email=email,
        company=company,
        stage_id=stage.pk,
        stage_changed_at=stage_changed_at,
        seller_id=seller.id if seller else None,
        source=source,
        expected_value=Decimal(rng.randint(4, 120) * 250),
        score=_weighted(rng, SCORE_WEIGHTS),
        language=language,
        next_action=next_action,
        next_action_at=next_action_at,
        last_contact_at=last_contact,
        closed_at=stage_changed_at if final is not None else None,
        closed_seller_id=seller.id if (final is not None and seller) else None,
        closed_from_stage_id=path[-2].pk if final is not None else None,
        lost_reason=lost_reason,
        utm_source="facebook" if source == Lead.Source.META_ADS else "",
        utm_medium="paid_social" if source == Lead.Source.META_ADS else "",
        created_at=created_at,
        updated_at=updated_at,
        search_text=search_text_for(first_name=first, last_name=last, email=email, company=company, phone=phone),
    )
    return lead, entries, rng.choice((0, 0, 1, 1, 1, 2))
