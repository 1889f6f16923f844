"""Dates as Indonesian (and English) news pages print them, read into UTC.

Indonesian outlets print local time without a zone: WIB (UTC+7) is assumed
unless the text says WITA (UTC+8) or WIT (UTC+9).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

ZONES = {"WIB": 7, "WITA": 8, "WIT": 9}
DEFAULT_ZONE = "WIB"

MONTHS = {
    # Indonesian, full and short
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8,
    "agt": 8, "agst": 8, "ags": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11, "nopember": 11, "desember": 12, "des": 12,
    # English
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8,
    "aug": 8, "october": 10, "oct": 10, "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "sabtu": 5, "minggu": 6,
    "ahad": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip

_TIME = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
_ZONE = r"(?:\s*(?P<zone>WIB|WITA|WIT|UTC|GMT)\b)?"
_WORDY = re.compile(
    r"(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3,9})\.?\s+(?P<year>\d{4})"
    r"(?:\s*(?:[-|,]|pukul|jam)?\s*" + _TIME + _ZONE + r")?",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    r"(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})(?:\s*(?:[-|,]|pukul|jam)?\s*"
    + _TIME
    + _ZONE
    + r")?",
    re.IGNORECASE,
)
_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?)?"
)
# "Kamis (24/10/2024)": the Indonesian convention for the day a report was filed. The date in
# parentheses is found first (cheap: it starts with "("), then the weekday just before it.
_PAREN_DATE = re.compile(r"\(\s*(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})\s*\)")
_WEEKDAY_BEFORE = re.compile(r"(?P<weekday>Senin|Selasa|Rabu|Kamis|Jumat|Jum'at|Sabtu|Minggu|Ahad)\s*$", re.I)


def zone_offset(name: str | None) -> timezone:
    if name is None:
        return timezone(timedelta(hours=ZONES[DEFAULT_ZONE]))
    name = name.upper()
    if name in ("UTC", "GMT"):
        return UTC
    return timezone(timedelta(hours=ZONES.get(name, ZONES[DEFAULT_ZONE])))


def _build(groups: dict[str, str | None], month: int) -> datetime | None:
    try:
        tz = zone_offset(groups.get("zone"))
        local = datetime(
            int(groups["year"] or 0),
            month,
            int(groups["day"] or 0),
            int(groups.get("hour") or 0),
            int(groups.get("minute") or 0),
            int(groups.get("second") or 0),
            tzinfo=tz,
        )
    except (ValueError, TypeError):
        return None
    if not 1990 <= local.year <= 2100:
        return None
    return local.astimezone(UTC)


def parse_news_datetime(text: str) -> datetime | None:
    """Find the first date (and time, if printed) in `text` and return it in UTC.

    Accepts '24 Oktober 2024 - 06:52', 'Kamis, 24 Okt 2024 06:52 WITA', '24/10/2024 06:52',
    ISO 8601 with or without offset. Local times without a zone are WIB.
    """
    m = _ISO.search(text)
    if m:
        return parse_iso(m.group(0))
    m = _WORDY.search(text)
    if m:
        month = MONTHS.get(m.group("month").lower().rstrip("."))
        if month:
            return _build(m.groupdict(), month)
    m = _NUMERIC.search(text)
    if m:
        return _build(m.groupdict(), int(m.group("month")))
    return None


def parse_iso(value: str) -> datetime | None:
    """ISO 8601 ('2024-10-24', '2024-10-24T06:52:00+07:00', '…Z'); zone-less values are UTC."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset: no such instant in UTC
        return None


def parse_local_date(value: str) -> datetime | None:
    """A date without time ('2024-10-24') from page metadata: midnight local time (WIB)."""
    m = _ISO.fullmatch(value.strip())
    if not m or m.group("hour"):
        return parse_iso(value)
    return _build(m.groupdict(), int(m.group("month")))


def find_text_date(text: str) -> datetime | None:
    """The latest 'Weekday (dd/mm/yyyy)' mention whose weekday agrees with its date.

    Indonesian reports date their events this way; the latest such mention is the
    best estimate of the publication day when nothing else gives one. A mention
    whose weekday is wrong for its date is not trusted.
    """
    best: date | None = None
    for m in _PAREN_DATE.finditer(text):
        before = _WEEKDAY_BEFORE.search(text, max(0, m.start() - 12), m.start())
        if before is None:
            continue
        try:
            d = date(int(m.group("year")), int(m.group("month")), int(m.group("day")))
        except ValueError:
            continue
        if not 1990 <= d.year <= 2100 or d.weekday() != WEEKDAYS[before.group("weekday").lower()]:
            continue
        if best is None or d > best:
            best = d
    if best is None:
        return None
    return datetime(best.year, best.month, best.day, tzinfo=zone_offset(None)).astimezone(UTC)
