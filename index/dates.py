"""Partial dates (`2011`, `2011-09`, `2011-09-21`): kept at the precision they were written with.

A transcript's date is its first day (so it sorts and counts in its year like any other)
plus a precision; the period it stands for runs from that day to the last day of its year,
month or day, and a date range matches it when the two overlap (DESIGN §6).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

DAY = "day"
MONTH = "month"
YEAR = "year"
PRECISIONS = (DAY, MONTH, YEAR)

_PARTIAL = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?$")


def parse_partial_date(text: str) -> tuple[dt.date, str]:
    """(first day, precision) of `2011`, `2011-09` or `2011-09-21`; raises ValueError otherwise."""
    match = _PARTIAL.match(text.strip())
    if match is None:
        raise ValueError(f"bad date {text!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match["year"], match["month"], match["day"]
    try:
        first = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as error:
        raise ValueError(f"bad date {text!r} ({error})") from None
    return first, DAY if day else MONTH if month else YEAR


def last_day(first: dt.date, precision: str) -> dt.date:
    """The last day of the period a partial date stands for."""
    if precision == YEAR:
        return dt.date(first.year, 12, 31)
    if precision == MONTH:
        return dt.date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
    return first


def format_partial(first: dt.date, precision: str) -> str:
    """A partial date as written: `2011`, `2011-09` or `2011-09-21`."""
    if precision == YEAR:
        return f"{first.year:04d}"
    if precision == MONTH:
        return f"{first.year:04d}-{first.month:02d}"
    return first.isoformat()


def overlaps(first: dt.date, precision: str, date_from: dt.date | None, date_to: dt.date | None) -> bool:
    """Whether the period of a partial date overlaps the range [date_from, date_to] (open ends allowed)."""
    if date_to is not None and first > date_to:
        return False
    return date_from is None or last_day(first, precision) >= date_from
