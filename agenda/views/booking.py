"""The public booking page on each company's host: services, free days and slots in the visitor's
language and time zone, booking with name and phone, and a signed link to cancel or reschedule.

It reveals free times only: no seller names, no other appointments. Throttled per IP address and per
phone, CSRF-protected, with a honeypot field. Owners switch it off in the agenda settings."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agenda import services
from agenda.booking_links import check_token, make_token
from agenda.forms import BookingForm, parse_day, parse_instant
from agenda.models import Appointment, Service
from agenda.selectors import agenda_settings, free_slots, service_sellers, zone_of
from core import ratelimit
from core.actors import lead_actor
from core.context import client_ip
from core.errors import ApplicationError
from tenants.access import public_view

DAYS_SHOWN = 14
THROTTLE_IP = (20, 60 * 60)  # bookings tried per address per hour
THROTTLE_PHONE = (5, 24 * 60 * 60)  # per phone per day
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def booking_page(view):
    """Public, only while the company keeps its booking page on, in the visitor's language (their cookie,
    else their browser's) unless they are signed in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not agenda_settings().booking_page_enabled:
            raise Http404
        if not request.user.is_authenticated and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            language = translation.get_language_from_request(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return view(request, *args, **kwargs)

    return public_view(wrapper)


def _visitor_zone(request, tenant):
    name = str(request.GET.get("tz") or request.POST.get("tz") or "")[:64]
    if name:
        try:
            return zoneinfo.ZoneInfo(name), name
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return zone_of(tenant), tenant.timezone or "UTC"


def _bookable_services(tenant) -> list[Service]:
    return [
        service
        for service in Service.objects.filter(active=True).order_by("name", "id")
        if service_sellers(tenant=tenant, service=service)
    ]


@booking_page
@require_http_methods(["GET"])
def booking_services(request):
    return TemplateResponse(
        request,
        "agenda/booking/services.html",
        {
            "services": _bookable_services(request.tenant),
            "currency": request.tenant.currency,
            "query": request.GET.urlencode(),
        },
    )


def _seller_param(request, tenant, service) -> int | None:
    value = str(request.GET.get("seller") or request.POST.get("seller") or "")
    if not value:
        return None
    if not value.isdecimal() or len(value) > 18:
        raise Http404
    if int(value) not in {info.user_id for info in service_sellers(tenant=tenant, service=service)}:
        raise Http404
    return int(value)


def _slot_view(request, service, seller_id, zone, *, day_text: str):
    """Free days (next DAYS_SHOWN with a slot) and the chosen day's slots, in the visitor's zone; several
    sellers free at one time make one slot."""
    tenant = request.tenant
    today = timezone.now().astimezone(zone).date()
    slots = free_slots(
        tenant=tenant,
        service=service,
        date_from=today - timedelta(days=1),
        date_to=today + timedelta(days=DAYS_SHOWN + 1),
        seller_id=seller_id,
    )
    by_day: dict = {}
    seen = set()
    for slot in slots:
        if slot.start in seen:
            continue
        seen.add(slot.start)
        local = slot.start.astimezone(zone)
        if today <= local.date() < today + timedelta(days=DAYS_SHOWN):
            by_day.setdefault(local.date(), []).append(local)
    days = sorted(by_day)
    chosen = parse_day(day_text)
    if chosen not in by_day:
        chosen = days[0] if days else None
    return days, chosen, by_day.get(chosen, [])


@booking_page
@require_http_methods(["GET", "POST"])
def booking_service(request, service_id: int):
    tenant = request.tenant
    service = get_object_or_404(Service, pk=service_id, active=True)
    seller_id = _seller_param(request, tenant, service)
    zone, zone_name = _visitor_zone(request, tenant)
    form = BookingForm(request.POST or None)
    error = ""
    if request.method == "POST":
        outcome = _book(request, form, service, seller_id, zone)
        if outcome.get("redirect"):
            return redirect(outcome["redirect"])
        if outcome.get("honeypot"):
            return TemplateResponse(request, "agenda/booking/received.html", {"service": service})
        error = outcome.get("error", "")
    days, chosen, day_slots = _slot_view(
        request, service, seller_id, zone, day_text=request.GET.get("day") or request.POST.get("day") or ""
    )
    utm = {name: str(request.GET.get(name) or request.POST.get(name) or "")[:100] for name in UTM_FIELDS}
    context = {
        "service": service,
        "seller": seller_id or "",
        "form": form,
        "error": error,
        "days": days,
        "chosen": chosen,
        "slots": day_slots,
        "zone_name": zone_name,
        "utm": utm,
        "keep": urlencode({k: v for k, v in {"seller": seller_id or "", "tz": zone_name, **utm}.items() if v}),
        "currency": tenant.currency,
        "wanted": request.POST.get("slot", ""),
    }
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, "agenda/booking/service.html", context, status=status)


def _book(request, form, service, seller_id, zone) -> dict:
    from crm.models import Lead
    from crm.public import lead_phone, lead_set_attribution, lead_upsert_by_phone

    tenant = request.tenant
    ip = client_ip(request) or "unknown"
    if ratelimit.is_limited(scope="booking:ip", identity=ip, limit=THROTTLE_IP[0]):
        return {"error": _("Too many attempts from your connection. Please try again later.")}
    ratelimit.hit(scope="booking:ip", identity=ip, window=THROTTLE_IP[1])
    if request.POST.get("website"):
        return {"honeypot": True}
    if not form.is_valid():
        return {"error": _("Please check the form.")}
    data = form.cleaned_data
    try:
        phone = lead_phone(tenant=tenant, phone=data["phone"])
    except ApplicationError as problem:
        form.add_error("phone", problem.message)
        return {"error": _("Please check the form.")}
    identity = f"{tenant.schema_name}:{phone}"
    if ratelimit.is_limited(scope="booking:phone", identity=identity, limit=THROTTLE_PHONE[0]):
        return {"error": _("Too many bookings for this phone today. Please call us instead.")}
    start = parse_instant(data["slot"], zone)
    if start is None:
        return {"error": _("Choose one of the free times.")}
    ratelimit.hit(scope="booking:phone", identity=identity, window=THROTTLE_PHONE[1])
    first, _sep, last = data["name"].partition(" ")
    actor = lead_actor(data["name"])
    try:
        with transaction.atomic():  # a refused time leaves no lead behind
            lead, _created = lead_upsert_by_phone(
                tenant=tenant,
                phone=phone,
                source=Lead.Source.WEBSITE,
                actor=actor,
                fields={"first_name": first[:80], "last_name": last[:80], "email": data.get("email", "")},
            )
            utm = {name: str(request.POST.get(name) or "")[:100] for name in UTM_FIELDS}
            if any(utm.values()):
                lead_set_attribution(tenant=tenant, lead=lead, actor=actor, **utm)
            appointment = services.appointment_book(
                tenant=tenant,
                lead=lead,
                service=service,
                start=start,
                seller_id=seller_id,
                actor=actor,
                source=Appointment.Source.BOOKING_PAGE,
            )
    except services.SlotUnavailable:
        return {"error": _("Sorry, this time was just taken or is no longer available. Please choose another.")}
    except ApplicationError as problem:
        return {"error": problem.message}
    _notify_seller(tenant, appointment)
    token = make_token(schema_name=tenant.schema_name, appointment=appointment)
    tz = str(request.POST.get("tz") or "")[:64]
    return {"redirect": reverse("agenda:booking-manage", args=[token]) + "?booked=1" + (f"&tz={tz}" if tz else "")}


def _notify_seller(tenant, appointment) -> None:
    from core.notifications import notify

    zone = zone_of(tenant)
    notify(
        tenant=tenant,
        user_ids=[appointment.seller_id],
        kind="agenda.booked_online",
        text=f"{appointment.start.astimezone(zone):%d/%m %H:%M} · {appointment.service.name} · {appointment.lead}",
        url=f"/agenda/?date={appointment.start.astimezone(zone).date().isoformat()}",
        dedupe_key=f"agenda.booked_online:{appointment.pk}",
    )


@booking_page
@require_http_methods(["GET", "POST"])
def booking_manage(request, token: str):
    tenant = request.tenant
    check = check_token(schema_name=tenant.schema_name, token=token)
    if check.appointment is None:
        messages = {
            "invalid": _("This link is not valid."),
            "expired": _("This link has expired."),
            "used": _("This link was replaced by a newer one. Use the link from your latest confirmation."),
        }
        return TemplateResponse(
            request,
            "agenda/booking/link_problem.html",
            {"message": messages[check.problem]},
            status=410 if check.problem != "invalid" else 404,
        )
    appointment = check.appointment
    zone, zone_name = _visitor_zone(request, tenant)
    error = ""
    actor = lead_actor(appointment.lead.full_name)
    usable = appointment.is_open and appointment.start > timezone.now()
    if request.method == "POST":
        if not usable:
            error = _("This appointment can no longer be changed here.")
        elif request.POST.get("action") == "cancel":
            services.appointment_cancel(
                tenant=tenant,
                appointment=appointment,
                actor=actor,
                source=Appointment.Source.BOOKING_PAGE,
                reason=str(request.POST.get("reason") or "")[:255],
            )
            return redirect(
                reverse(
                    "agenda:booking-manage",
                    args=[
                        make_token(
                            schema_name=tenant.schema_name, appointment=Appointment.objects.get(pk=appointment.pk)
                        )
                    ],
                )
                + "?cancelled=1"
            )
        elif request.POST.get("action") == "reschedule":
            start = parse_instant(str(request.POST.get("slot") or ""), zone)
            try:
                if start is None:
                    raise ApplicationError(_("Choose one of the free times."))
                moved = services.appointment_reschedule(
                    tenant=tenant,
                    appointment=appointment,
                    start=start,
                    actor=actor,
                    source=Appointment.Source.BOOKING_PAGE,
                )
            except services.SlotUnavailable:
                error = _("Sorry, this time was just taken or is no longer available. Please choose another.")
            except ApplicationError as problem:
                error = problem.message
            else:
                token = make_token(schema_name=tenant.schema_name, appointment=moved)
                return redirect(reverse("agenda:booking-manage", args=[token]) + f"?moved=1&tz={zone_name}")
        appointment.refresh_from_db()
    days, chosen, day_slots = ([], None, [])
    if usable:
        days, chosen, day_slots = _slot_view(
            request, appointment.service, appointment.seller_id, zone, day_text=request.GET.get("day") or ""
        )
    context = {
        "appointment": appointment,
        "start": appointment.start.astimezone(zone),
        "zone_name": zone_name,
        "token": token,
        "usable": usable and appointment.is_open,
        "days": days,
        "chosen": chosen,
        "slots": day_slots,
        "error": error,
        "booked": request.GET.get("booked") == "1",
        "moved": request.GET.get("moved") == "1",
        "manage_url": request.build_absolute_uri(reverse("agenda:booking-manage", args=[token])),
    }
    return TemplateResponse(request, "agenda/booking/manage.html", context, status=422 if error else 200)


urlpatterns = [
    path("book/", booking_services, name="booking-services"),
    path("book/<int:service_id>/", booking_service, name="booking-service"),
    path("book/manage/<str:token>/", booking_manage, name="booking-manage"),
]
