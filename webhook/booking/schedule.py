"""The weekly opening schedule as slot times: pure date arithmetic, no database.

Dutch public holidays (the ``holidays`` package) are left out; times are local
(Europe/Amsterdam by default) and returned as aware datetimes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from webhook.settings import WEEKDAYS, ScheduleSettings


@dataclass(frozen=True)
class SlotTime:
    starts_at: datetime
    ends_at: datetime
    mode: str


@lru_cache(maxsize=8)
def _dutch_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NL", years=year)


def is_holiday(day: date) -> bool:
    return day in _dutch_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def add_working_days(day: date, count: int) -> date:
    """The date ``count`` working days after ``day`` (weekends and holidays skipped)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def opening_days(schedule: ScheduleSettings, first: date, last: date) -> Iterator[date]:
    """Every day from ``first`` to ``last`` (inclusive) on which the schedule is open."""
    open_weekdays = {WEEKDAYS.index(d) for d in schedule.days}
    day = first
    while day <= last:
        if day.weekday() in open_weekdays and not is_holiday(day):
            yield day
        day += timedelta(days=1)


def slot_times(schedule: ScheduleSettings, first: date, last: date) -> list[SlotTime]:
    """The slots of the schedule between ``first`` and ``last``, for every mode."""
    zone = ZoneInfo(schedule.timezone)
    length = timedelta(minutes=schedule.intake_minutes)
    found: list[SlotTime] = []
    for day in opening_days(schedule, first, last):
        for span in schedule.hours:
            start_text, _, end_text = span.partition("-")
            start = datetime.combine(day, time.fromisoformat(start_text), zone)
            end = datetime.combine(day, time.fromisoformat(end_text), zone)
            while start + length <= end:
                found.extend(SlotTime(start, start + length, mode) for mode in schedule.modes)
                start += length
    return found


def working_days_ahead(today: date, count: int) -> date:
    """The last day of the next ``count`` working days, counting from ``today``."""
    return add_working_days(today, count)
