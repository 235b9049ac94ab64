"""What the agent may do, and nothing else: each tool reads through agenda selectors and writes through
agenda services and `crm.public`, as the AI agent (`core.actors.AGENT`), for the conversation's lead only.

A tool takes the model's arguments (checked here: the model may send anything) and returns a JSON-able
dict. A refusal the lead should hear about (a slot just taken, an unknown service) is a result with
`ok: false` and an `error`, plus the next free slots when there are some, so the model can offer them; a
ToolError is the same for bad arguments. Times go to the model as the company's wall-clock time
("2027-03-02T10:00", zone in the prompt) and come back the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from core.actors import AGENT
from core.errors import ApplicationError

MAX_SLOTS = 16
SLOTS_PER_DAY = 4
MAX_DAYS = 14
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ToolError(Exception):
    """The model's arguments cannot be used: the message goes back to it."""


@dataclass
class AgentContext:
    """What one run of the agent works on. Tools record here what the runner must know afterwards."""

    tenant: object
    conversation: object
    lead: object
    language: str
    handed_off: bool = False
    # The alternatives of the last refused booking or move, cleared when one succeeds: the runner makes
    # sure the reply offers them.
    pending_alternatives: list[dict] = field(default_factory=list)
    booked: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict
    handler: Callable[[AgentContext, dict], dict]

    def spec(self) -> dict:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


# --- Arguments -----------------------------------------------------------------------------------------


def _int(args: dict, name: str, *, required: bool = True) -> int | None:
    value = args.get(name)
    if value in (None, ""):
        if required:
            raise ToolError(f"`{name}` is required.")
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ToolError(f"`{name}` must be a number, not {value!r}.") from None


def _text(args: dict, name: str, *, limit: int = 500) -> str:
    value = args.get(name) or ""
    return str(value).replace("\x00", "").strip()[:limit]


def _date(args: dict, name: str, *, default: date | None = None) -> date:
    value = args.get(name)
    if value in (None, ""):
        if default is None:
            raise ToolError(f"`{name}` is required (YYYY-MM-DD).")
        return default
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ToolError(f"`{name}` must be a date as YYYY-MM-DD, not {value!r}.") from None


def _moment(ctx: AgentContext, args: dict, name: str) -> datetime:
    from agenda.selectors import zone_of

    value = args.get(name)
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise ToolError(f"`{name}` must be a date and time as YYYY-MM-DDTHH:MM, not {value!r}.") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone_of(ctx.tenant))
    return moment


def _local(ctx: AgentContext, moment: datetime) -> str:
    from agenda.selectors import zone_of

    return moment.astimezone(zone_of(ctx.tenant)).strftime("%Y-%m-%dT%H:%M")


def _slot(ctx: AgentContext, slot) -> dict:
    from agenda.selectors import zone_of

    local = slot.start.astimezone(zone_of(ctx.tenant))
    return {
        "start": local.strftime("%Y-%m-%dT%H:%M"),
        "weekday": WEEKDAYS[local.weekday()],
        "professional_id": slot.seller_id,
        "professional": slot.seller_name,
    }


def _service(service_id: int):
    from agenda.selectors import services_list

    service = next((service for service in services_list() if service.pk == service_id), None)
    if service is None:
        raise ToolError(f"There is no service with id {service_id}: call list_services.")
    return service


def _lead_appointment(ctx: AgentContext, appointment_id: int):
    from agenda.selectors import lead_appointments

    appointment = next(
        (item for item in lead_appointments(lead=ctx.lead, upcoming_only=True) if item.pk == appointment_id), None
    )
    if appointment is None:
        raise ToolError(f"This lead has no upcoming appointment with id {appointment_id}: call list_my_appointments.")
    return appointment


def _refused(ctx: AgentContext, error) -> dict:
    alternatives = [_slot(ctx, slot) for slot in error.alternatives]
    ctx.pending_alternatives = alternatives
    return {
        "ok": False,
        "error": str(error.message),
        "reason": error.code,
        "alternatives": alternatives,
        "instruction": "Offer these alternatives to the lead (or call check_availability for other days)."
        if alternatives
        else "No free time nearby: call check_availability for later days or hand off with derivhumano.",
    }


# --- Tools ---------------------------------------------------------------------------------------------


def list_services(ctx: AgentContext, args: dict) -> dict:
    from agenda.selectors import services_list

    return {
        "currency": ctx.tenant.currency,
        "services": [
            {
                "id": service.pk,
                "name": service.name,
                "price": str(service.price),
                "duration_minutes": service.duration_minutes,
                "description": service.description,
            }
            for service in services_list()
        ],
    }


def list_professionals(ctx: AgentContext, args: dict) -> dict:
    from agenda.selectors import service_sellers, services_list

    service_id = _int(args, "service_id", required=False)
    services = [_service(service_id)] if service_id is not None else services_list()
    people: dict[int, dict] = {}
    for service in services:
        for info in service_sellers(tenant=ctx.tenant, service=service):
            entry = people.setdefault(info.user_id, {"id": info.user_id, "name": info.name, "service_ids": []})
            entry["service_ids"].append(service.pk)
    return {"professionals": sorted(people.values(), key=lambda person: (person["name"], person["id"]))}


def check_availability(ctx: AgentContext, args: dict) -> dict:
    from agenda.selectors import free_slots, zone_of

    service = _service(_int(args, "service_id"))
    today = timezone.now().astimezone(zone_of(ctx.tenant)).date()
    date_from = max(_date(args, "date_from", default=today), today)
    date_to = _date(args, "date_to", default=date_from + timedelta(days=6))
    date_to = min(max(date_to, date_from), date_from + timedelta(days=MAX_DAYS - 1))
    professional_id = _int(args, "professional_id", required=False)
    slots = free_slots(
        tenant=ctx.tenant, service=service, date_from=date_from, date_to=date_to, seller_id=professional_id
    )
    per_day: dict[str, int] = defaultdict(int)
    chosen = []
    for slot in slots:
        item = _slot(ctx, slot)
        day = item["start"][:10]
        if per_day[day] >= SLOTS_PER_DAY:
            continue
        per_day[day] += 1
        chosen.append(item)
        if len(chosen) >= MAX_SLOTS:
            break
    return {
        "service": service.name,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "free_slots": chosen,
        "total_free": len(slots),
    }


def book_appointment(ctx: AgentContext, args: dict) -> dict:
    from agenda.models import Appointment
    from agenda.services import SlotUnavailable, appointment_book

    service = _service(_int(args, "service_id"))
    start = _moment(ctx, args, "start")
    try:
        appointment = appointment_book(
            tenant=ctx.tenant,
            lead=ctx.lead,
            service=service,
            start=start,
            seller_id=_int(args, "professional_id", required=False),
            actor=AGENT,
            source=Appointment.Source.AGENT,
            notes=_text(args, "notes", limit=1000),
        )
    except SlotUnavailable as error:
        return _refused(ctx, error)
    except ApplicationError as error:
        return {"ok": False, "error": str(error.message)}
    ctx.pending_alternatives = []
    ctx.booked.append(appointment.pk)
    return {
        "ok": True,
        "appointment_id": appointment.pk,
        "service": service.name,
        "start": _local(ctx, appointment.start),
        "end": _local(ctx, appointment.end),
        "professional_id": appointment.seller_id,
    }


def list_my_appointments(ctx: AgentContext, args: dict) -> dict:
    from agenda.selectors import lead_appointments

    return {
        "appointments": [
            {
                "id": item.pk,
                "service": item.service.name,
                "start": _local(ctx, item.start),
                "status": item.status,
                "professional_id": item.seller_id,
            }
            for item in lead_appointments(lead=ctx.lead, upcoming_only=True)
        ]
    }


def cancel_appointment(ctx: AgentContext, args: dict) -> dict:
    from agenda.models import Appointment
    from agenda.services import appointment_cancel

    appointment = _lead_appointment(ctx, _int(args, "appointment_id"))
    try:
        appointment_cancel(
            tenant=ctx.tenant,
            appointment=appointment,
            actor=AGENT,
            source=Appointment.Source.AGENT,
            reason=_text(args, "reason", limit=255),
        )
    except ApplicationError as error:
        return {"ok": False, "error": str(error.message)}
    return {"ok": True, "appointment_id": appointment.pk, "status": "cancelled"}


def reschedule_appointment(ctx: AgentContext, args: dict) -> dict:
    from agenda.models import Appointment
    from agenda.services import SlotUnavailable, appointment_reschedule

    appointment = _lead_appointment(ctx, _int(args, "appointment_id"))
    start = _moment(ctx, args, "start")
    try:
        moved = appointment_reschedule(
            tenant=ctx.tenant, appointment=appointment, start=start, actor=AGENT, source=Appointment.Source.AGENT
        )
    except SlotUnavailable as error:
        return _refused(ctx, error)
    except ApplicationError as error:
        return {"ok": False, "error": str(error.message)}
    ctx.pending_alternatives = []
    return {"ok": True, "appointment_id": moved.pk, "start": _local(ctx, moved.start), "end": _local(ctx, moved.end)}


def triage_urgency(ctx: AgentContext, args: dict) -> dict:
    from crm.public import lead_update

    level = _text(args, "level", limit=8).lower()
    if level not in ("hot", "warm", "cold"):
        raise ToolError("`level` must be hot, warm or cold.")
    reason = _text(args, "reason", limit=255)
    if not reason:
        raise ToolError("`reason` is required: say why in one sentence.")
    ctx.lead = lead_update(tenant=ctx.tenant, lead=ctx.lead, actor=AGENT, score=level, score_reason=reason)
    return {"ok": True, "score": level}


def derivhumano(ctx: AgentContext, args: dict) -> dict:
    from chats.services import conversation_handoff

    reason = _text(args, "reason", limit=255) or "The agent asked for a person."
    conversation_handoff(tenant=ctx.tenant, conversation=ctx.conversation, actor=AGENT, reason=reason)
    ctx.handed_off = True
    return {
        "ok": True,
        "instruction": "A person of the team takes over now. Tell the lead briefly that a colleague will answer "
        "soon; ask nothing more.",
    }


def _schema(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


_ID = {"type": "integer"}
_START = {"type": "string", "description": "Local date and time, YYYY-MM-DDTHH:MM (the company's time zone)."}

TOOLS: tuple[Tool, ...] = (
    Tool("list_services", "The services the company sells, with id, price, duration and description.",
         _schema({}, []), list_services),
    Tool("list_professionals", "The people who attend appointments, optionally only those offering one service.",
         _schema({"service_id": _ID}, []), list_professionals),
    Tool("check_availability",
         "Free appointment times of a service between two dates (at most 14 days), optionally with one "
         "professional. Never offer a time that this tool did not return.",
         _schema({"service_id": _ID, "date_from": {"type": "string", "description": "YYYY-MM-DD"},
                  "date_to": {"type": "string", "description": "YYYY-MM-DD (included)"},
                  "professional_id": _ID}, ["service_id", "date_from"]),
         check_availability),
    Tool("book_appointment",
         "Books the lead into a free time returned by check_availability, once the lead has chosen it. If the "
         "time was just taken, the result lists the next free times: offer them.",
         _schema({"service_id": _ID, "start": _START, "professional_id": _ID,
                  "notes": {"type": "string", "description": "What the lead wants, in a few words."}},
                 ["service_id", "start"]),
         book_appointment),
    Tool("list_my_appointments", "The lead's upcoming appointments, with their ids.", _schema({}, []),
         list_my_appointments),
    Tool("cancel_appointment", "Cancels one of the lead's upcoming appointments, when the lead asks to.",
         _schema({"appointment_id": _ID, "reason": {"type": "string"}}, ["appointment_id"]), cancel_appointment),
    Tool("reschedule_appointment",
         "Moves one of the lead's upcoming appointments to another free time the lead has chosen.",
         _schema({"appointment_id": _ID, "start": _START}, ["appointment_id", "start"]), reschedule_appointment),
    Tool("triage_urgency",
         "Scores the lead: hot (wants to buy or book soon), warm (interested, not now) or cold (just looking, "
         "not a fit). Call it once you can tell, with the reason in one sentence.",
         _schema({"level": {"type": "string", "enum": ["hot", "warm", "cold"]}, "reason": {"type": "string"}},
                 ["level", "reason"]),
         triage_urgency),
    Tool("derivhumano",
         "Hands the conversation to a person of the team: the lead asks for a human, complains, needs "
         "something the tools cannot do, or you are unsure. The agent stays silent afterwards.",
         _schema({"reason": {"type": "string"}}, ["reason"]), derivhumano),
)  # fmt: skip
TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}


def tool_specs() -> list[dict]:
    return [tool.spec() for tool in TOOLS]


def run_tool(ctx: AgentContext, name: str, args: dict) -> tuple[dict, str]:
    """Runs one tool call: (result, error). A ToolError or a domain refusal is an error the model reads;
    any other exception propagates (a bug, or the database: the run fails and hands off)."""
    tool = TOOLS_BY_NAME.get(name)
    if tool is None:
        return {"ok": False, "error": f"Unknown tool {name!r}."}, f"unknown tool {name!r}"
    if not isinstance(args, dict) or "_unreadable" in args:
        return {"ok": False, "error": "The arguments were not valid JSON."}, "unreadable arguments"
    try:
        result = tool.handler(ctx, args)
    except ToolError as error:
        return {"ok": False, "error": str(error)}, str(error)
    except ApplicationError as error:
        return {"ok": False, "error": str(error.message)}, str(error.message)
    except ValidationError as error:  # a lead's stored facts refused by a service's full_clean()
        message = "; ".join(str(item) for item in error.messages)
        return {"ok": False, "error": message}, message
    return result, (str(result.get("error", "")) if result.get("ok") is False else "")
