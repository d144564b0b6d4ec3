"""Periodic reminders worked as rows with a due time (every replica, ``SKIP LOCKED``):
contact cadence (DOMAIN 4.2), birthdays (reminder ahead, greeting on the day),
greetings on Chinese public holidays to customers not yet signed, and
campaigns whose time came."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.kit.festivals import holiday_detail
from services.kit.working_days import CHINA_TZ, china_date
from services.notify.adapters.read_model import ContactRow, CustomerRow
from services.notify.adapters.unit import NotifyUnit
from services.notify.domain.message import Channel, Planned
from services.notify.domain.reminders import at_hour, next_birthday
from services.notify.service_layer.deps import NotifyDeps
from services.notify.service_layer.planning import plan

HOLIDAY_JOB = "holiday_greetings"
RETENTION_JOB = "inbox_retention"
HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节",
                 "National Day": "国庆节", "Mid-autumn Festival": "中秋节"}


def cadence_due(customer: CustomerRow, deps: NotifyDeps, now: datetime) -> datetime | None:
    """When the owner should hear that the customer has gone uncontacted too long."""
    if not customer.owner_id or customer.archived:
        return None
    every = deps.policy.cadence_signed if customer.signed else deps.policy.cadence_unsigned
    return (customer.last_contact_at or now) + every


async def refresh_cadence(unit: NotifyUnit, deps: NotifyDeps, customer: CustomerRow) -> None:
    """Set when the owner should next hear about ``customer`` (as it now is)."""
    due = cadence_due(customer, deps, deps.now())
    if due != customer.cadence_due_at:
        await unit.model.set_cadence_due(customer.id, due)


async def cadence(unit: NotifyUnit, deps: NotifyDeps, limit: int) -> int:
    now = deps.now()
    due = await unit.model.cadence_due(now, limit)
    planned = []
    for c in due:
        if c.owner_id and not c.archived:
            days = (now - c.last_contact_at).days if c.last_contact_at else (
                (deps.policy.cadence_signed if c.signed else deps.policy.cadence_unsigned).days)
            assert c.cadence_due_at is not None
            planned.append(Planned(
                kind="contact_cadence", channel=Channel.IN_APP, recipient=c.owner_id,
                cause=f"cadence:{c.id}:{c.cadence_due_at.isoformat()}", due_at=now,
                params={"customer_name": c.name, "days": str(days),
                        "status": "signed" if c.signed else "unsigned"},
                subject_type="customer", subject_id=c.id))
        every = deps.policy.cadence_signed if c.signed else deps.policy.cadence_unsigned
        await unit.model.set_cadence_due(c.id, now + every if c.owner_id else None)
    await plan(unit, deps, planned)
    return len(due)


def birthday_times(birthday: date | None, deps: NotifyDeps, now: datetime,
                   ) -> tuple[datetime | None, datetime | None]:
    """The next reminder (N days ahead) and greeting (on the day), both at the
    greeting hour, China time, not before ``now``'s day."""
    if birthday is None:
        return None, None
    today = china_date(now)
    hour = deps.policy.greeting_hour
    ahead = timedelta(days=deps.policy.birthday_days_ahead)
    day = next_birthday(birthday, today)
    reminder_day = day - ahead
    if reminder_day < today:
        reminder_day = next_birthday(birthday, day + timedelta(days=1)) - ahead
    return at_hour(reminder_day, hour), at_hour(day, hour)


async def refresh_birthday(unit: NotifyUnit, deps: NotifyDeps, contact: ContactRow) -> None:
    reminder, greeting = birthday_times(contact.birthday, deps, deps.now())
    await unit.model.set_birthday_due(contact.id, reminder=reminder, greeting=greeting)


async def birthdays(unit: NotifyUnit, deps: NotifyDeps, limit: int) -> int:
    now = deps.now()
    due = await unit.model.birthdays_due(now, limit)
    planned: list[Planned] = []
    for contact in due:
        reminder_at, greeting_at = await unit.model.birthday_due_times(contact.id)
        customer = await unit.model.customer(contact.customer_id)
        name = customer.name if customer else ""
        assert contact.birthday is not None
        params = {"contact_name": contact.name, "customer_name": name,
                  "birthday": next_birthday(contact.birthday, china_date(now)).isoformat()}
        if reminder_at is not None and reminder_at <= now and customer and customer.owner_id:
            planned.append(Planned(
                kind="birthday_reminder", channel=Channel.IN_APP, recipient=customer.owner_id,
                cause=f"birthday_reminder:{contact.id}:{reminder_at.date()}", due_at=now,
                params=params, subject_type="customer", subject_id=contact.customer_id))
        if greeting_at is not None and greeting_at <= now and contact.mobile:
            planned.append(Planned(
                kind="birthday_greeting", channel=Channel.SMS, recipient=f"contact:{contact.id}",
                cause=f"birthday_greeting:{contact.id}:{greeting_at.date()}", due_at=now,
                params=params, address=contact.mobile, customer_facing=True,
                subject_type="customer", subject_id=contact.customer_id))
        later = now + timedelta(days=1)
        reminder, greeting = birthday_times(contact.birthday, deps, later)
        await unit.model.set_birthday_due(
            contact.id,
            reminder=reminder if reminder_at is not None and reminder_at <= now else reminder_at,
            greeting=greeting if greeting_at is not None and greeting_at <= now else greeting_at)
    await plan(unit, deps, planned)
    return len(due)


def holiday_starting(day: date) -> str | None:
    """The name of the public holiday that starts on ``day``: a named day off none of
    the days off just before it (back to the last working day) already had. So a
    National Day week with Mid-autumn inside it starts once, on 1 October."""
    on, name = holiday_detail(day)
    if not (on and name):
        return None
    back = day - timedelta(days=1)
    for _ in range(31):
        off, earlier = holiday_detail(back)
        if not off:
            break
        if earlier == name:
            return None
        back -= timedelta(days=1)
    return name


async def holidays(unit: NotifyUnit, deps: NotifyDeps) -> int:
    """Once a day at the greeting hour: on a holiday's first day, greet the contacts of
    customers not yet signed."""
    now = deps.now()
    hour = deps.policy.greeting_hour
    await unit.model.ensure_job(HOLIDAY_JOB, at_hour(china_date(now), hour))
    due = await unit.model.take_job(HOLIDAY_JOB, now)
    if due is None:
        return 0
    day = due.astimezone(CHINA_TZ).date()
    await unit.model.set_job(HOLIDAY_JOB, at_hour(max(day, china_date(now)) + timedelta(days=1),
                                                  hour))
    name = holiday_starting(day) if deps.policy.holiday_greetings else None
    if name is None:
        return 0
    holiday = HOLIDAY_NAMES.get(name, name)
    contacts = await unit.model.unsigned_contacts_with_mobiles()
    return await plan(unit, deps, [Planned(
        kind="holiday_greeting", channel=Channel.SMS, recipient=f"contact:{c.id}",
        cause=f"holiday:{day}:{c.id}", due_at=now, address=c.mobile, customer_facing=True,
        params={"contact_name": c.name, "holiday": holiday}, subject_type="customer",
        subject_id=c.customer_id) for c in contacts])


async def retention(unit: NotifyUnit, deps: NotifyDeps, limit: int) -> int:
    """Once a day (and again at once while a batch was full): delete in-app messages
    older than ``NOTIFY_INBOX_RETENTION``."""
    now = deps.now()
    await unit.model.ensure_job(RETENTION_JOB, now)
    if await unit.model.take_job(RETENTION_JOB, now) is None:
        return 0
    purged = await unit.messages.purge_inbox(now - deps.settings.inbox_retention, limit)
    await unit.model.set_job(RETENTION_JOB, now if purged >= limit else now + timedelta(days=1))
    return purged
