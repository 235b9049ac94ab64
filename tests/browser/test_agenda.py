"""The agenda in a browser: book by clicking a free slot, drag to another time and see another calendar
follow live, a refused drag snapping back with its reason, a visitor booking on the public page appearing
live in the seller's calendar, and a due task raising the bell."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from agenda.models import AgendaSettings, Appointment, Service, ServiceSeller, WorkingHours
from core.models import Notification
from tenants.models import Tenant

pytestmark = pytest.mark.browser


class AgendaData:
    """Committed agenda setup in acme for one test (service, hours, booking rules), undone afterwards."""

    def __init__(self, committed):
        self.committed = committed
        self.service_id = None
        self.sellers: list[int] = []
        self.previous = None
        self.users: list[int] = []

    def run(self, work, *args):
        def inside():
            with tenant_context(Tenant.objects.get(slug="acme")):
                return work(*args)

        return self.committed(inside)

    def setup(self, seller, name: str) -> int:
        def create():
            row, _ = AgendaSettings.objects.get_or_create(pk=1)
            self.previous = (row.min_notice_minutes, row.max_horizon_days, row.booking_page_enabled)
            AgendaSettings.objects.filter(pk=1).update(
                min_notice_minutes=0, max_horizon_days=60, booking_page_enabled=True
            )
            WorkingHours.objects.bulk_create(
                [
                    WorkingHours(seller_id=seller.pk, weekday=day, start_time=time(8), end_time=time(20))
                    for day in range(7)
                ]
            )
            service = Service.objects.create(name=name, duration_minutes=30)
            ServiceSeller.objects.create(service=service, seller_id=seller.pk)
            return service.pk

        self.sellers.append(seller.pk)
        self.service_id = self.run(create)
        return self.service_id

    def forget(self):
        def delete():
            if self.service_id:
                Appointment.objects.filter(service_id=self.service_id).delete()
                Service.objects.filter(pk=self.service_id).delete()
            WorkingHours.objects.filter(seller_id__in=self.sellers).delete()
            Notification.objects.filter(user_id__in=self.users).delete()
            if self.previous:
                AgendaSettings.objects.filter(pk=1).update(
                    min_notice_minutes=self.previous[0],
                    max_horizon_days=self.previous[1],
                    booking_page_enabled=self.previous[2],
                )

        self.run(delete)


@pytest.fixture
def agenda(people, leads):
    data = AgendaData(people.committed)
    try:
        yield data
    finally:
        data.forget()


def target_day():
    return (datetime.now(UTC) + timedelta(days=7)).date()


def open_calendar(site, people, person, user, day, **options):
    context = person(**options)
    people.sign_in(context, user, "acme")
    page = context.new_page()
    page.goto(site.url("acme", f"/agenda/?date={day.isoformat()}"))
    expect(page.locator("#calendar")).to_have_attribute("data-live", "open")
    expect(page.locator("#calendar")).to_have_attribute("data-ready", "1")
    page.evaluate("window.sameDocument = true")
    return page


def slot_point(page, day, hour: int, minute: int = 0):
    column = page.locator(f"td.fc-timegrid-col[data-date='{day.isoformat()}']").bounding_box()
    lane = page.locator(f"td.fc-timegrid-slot-lane[data-time='{hour:02d}:{minute:02d}:00']").bounding_box()
    return column["x"] + column["width"] / 2, lane["y"] + lane["height"] / 2


def _box(locator):
    """A live update may re-render the event between two reads: wait until it has a box again."""
    for _ in range(50):
        locator.first.wait_for(state="visible")
        box = locator.first.bounding_box()
        if box is not None:
            return box
        locator.page.wait_for_timeout(100)
    raise AssertionError("the event never settled on the calendar")


def drag_event(page, event, day, hour: int):
    box = _box(event)
    x, y = box["x"] + box["width"] / 2, box["y"] + min(8, box["height"] / 3)
    target_x, target_y = slot_point(page, day, hour)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 12, steps=4)
    page.mouse.move(target_x, target_y + (y - box["y"]) - 4, steps=20)
    page.mouse.up()


def test_book_by_clicking_a_slot_then_drag_it_and_another_calendar_follows(
    site, people, person, leads, agenda, screenshot
):
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    owner = people.member("owner", "Olga Owner", {"acme": "owner"})
    agenda.users += [seller.pk, owner.pk]
    agenda.setup(seller, f"Visit {people.run}")
    lead = leads.create(phone="+34611000111", first_name="Carla", last_name=f"Click{people.run}", seller=seller)
    day = target_day()
    page = open_calendar(site, people, person, seller, day)
    owner_page = open_calendar(site, people, person, owner, day)

    # the seller clicks 10:00 on that day, finds the lead, and books the free time offered
    page.mouse.click(*slot_point(page, day, 10))
    dialog = page.locator("#agenda-dialog")
    expect(dialog.get_by_test_id("appointment-form")).to_be_visible()
    dialog.get_by_test_id("lead-search").fill(f"Click{people.run}")
    dialog.locator("[data-pick-lead]").first.click()
    expect(dialog.get_by_test_id("slot")).to_have_value(f"{day.isoformat()}T10:00:00+00:00|{seller.pk}")
    dialog.get_by_test_id("book").click()
    expect(dialog).to_be_hidden()
    event = page.locator(".fc-timegrid-event", has_text=f"Click{people.run}")
    expect(event).to_contain_text("10:00")
    expect(owner_page.locator(".fc-timegrid-event", has_text=f"Click{people.run}")).to_contain_text("10:00")

    # the seller drags it to 12:00; the owner's calendar follows without a reload
    drag_event(page, event, day, 12)
    expect(owner_page.locator(".fc-timegrid-event", has_text=f"Click{people.run}")).to_contain_text("12:00")
    assert owner_page.evaluate("window.sameDocument === true")
    screenshot(owner_page, "agenda")
    start = agenda.run(lambda: Appointment.objects.get(lead_id=lead.pk).start)
    assert start == datetime.combine(day, time(12), tzinfo=UTC)


def test_a_refused_drag_snaps_back_and_says_why(site, people, person, leads, agenda):
    from agenda.services import appointment_book

    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    agenda.users.append(seller.pk)
    service_id = agenda.setup(seller, f"Visit {people.run}")
    ours = leads.create(phone="+34611000222", first_name="Mover", last_name=people.run, seller=seller)
    other = leads.create(phone="+34611000333", first_name="Blocker", last_name=people.run, seller=seller)
    day = target_day()

    def book(lead, hour):
        return appointment_book(
            tenant=Tenant.objects.get(slug="acme"), lead=lead, service=Service.objects.get(pk=service_id),
            start=datetime.combine(day, time(hour), tzinfo=UTC), seller_id=seller.pk, actor=None, source="staff",
        )  # fmt: skip

    agenda.run(book, ours, 11)
    agenda.run(book, other, 15)
    page = open_calendar(site, people, person, seller, day)
    event = page.locator(".fc-timegrid-event", has_text="Mover")
    expect(event).to_contain_text("11:00")

    drag_event(page, event, day, 15)

    expect(page.get_by_test_id("agenda-error")).to_contain_text("already has an appointment")
    expect(event).to_contain_text("11:00")
    assert agenda.run(lambda: Appointment.objects.get(lead_id=ours.pk).start) == datetime.combine(
        day, time(11), tzinfo=UTC
    )


def test_a_visitor_books_on_the_public_page_and_the_seller_sees_it_live(site, people, person, leads, agenda):
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    agenda.users.append(seller.pk)
    service_id = agenda.setup(seller, f"Visit {people.run}")
    day = target_day()
    seller_page = open_calendar(site, people, person, seller, day)

    visitor = person().new_page()
    visitor.goto(site.url("acme", f"/book/{service_id}/?tz=UTC&day={day.isoformat()}"))
    visitor.locator(f"input[name=slot][value='{day.isoformat()}T16:00:00+00:00']").check()
    visitor.locator("#b-name").fill(f"Vera Web{people.run}")
    visitor.locator("#b-phone").fill("+34 622 000 444")
    visitor.get_by_test_id("booking-confirm").click()
    expect(visitor.get_by_test_id("booking-confirmed")).to_be_visible()
    expect(visitor.get_by_test_id("manage-link")).to_be_visible()

    expect(seller_page.locator(".fc-timegrid-event", has_text=f"Web{people.run}")).to_contain_text("16:00")
    assert seller_page.evaluate("window.sameDocument === true")
    assert "Sam Seller" not in visitor.content()


def test_a_due_task_raises_the_bell(site, people, person, leads, agenda):
    from agenda.reminders import remind_due_tasks
    from agenda.services import task_create

    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    agenda.users.append(seller.pk)
    lead = leads.create(phone="+34611000555", first_name="Tess", last_name=people.run, seller=seller)
    page = open_calendar(site, people, person, seller, target_day())
    expect(page.locator("#notification-bell")).to_have_attribute("data-unread", "0")

    def due_now():
        tenant = Tenant.objects.get(slug="acme")
        task_create(tenant=tenant, lead=lead, title="Call Tess back", due_at=datetime.now(UTC) - timedelta(minutes=1),
                    assignee_id=seller.pk, actor=None)  # fmt: skip
        return remind_due_tasks(tenant=tenant)  # what beat runs every minute

    assert agenda.run(due_now) == 1
    expect(page.locator("#notification-bell")).to_have_attribute("data-unread", "1")
    expect(page.locator("#messages")).to_contain_text("Call Tess back")
