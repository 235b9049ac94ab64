"""Agenda test data, written inside a tenant (the `tenant` fixture)."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from agenda.models import AgendaSettings, Service, ServiceSeller, WorkingHours


def make_service(*, sellers=(), name="First visit", duration=30, buffer=0, price="50.00", active=True) -> Service:
    service = Service.objects.create(
        name=name, duration_minutes=duration, buffer_minutes=buffer, price=Decimal(price), active=active
    )
    for seller in sellers:
        ServiceSeller.objects.create(service=service, seller_id=getattr(seller, "user_id", seller))
    return service


def set_hours(seller, ranges: dict[int, list[tuple[str, str]]]) -> None:
    """ranges: {weekday: [("09:00", "13:00"), ...]}"""
    seller_id = getattr(seller, "user_id", seller)
    WorkingHours.objects.filter(seller_id=seller_id).delete()
    for weekday, pairs in ranges.items():
        for start, end in pairs:
            WorkingHours.objects.create(
                seller_id=seller_id,
                weekday=weekday,
                start_time=time.fromisoformat(start),
                end_time=time.fromisoformat(end),
            )


def every_day(*pairs: tuple[str, str]) -> dict[int, list[tuple[str, str]]]:
    return {weekday: list(pairs) for weekday in range(7)}


def rules(**values) -> AgendaSettings:
    row, _ = AgendaSettings.objects.get_or_create(pk=1)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row
