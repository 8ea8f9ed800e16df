"""Resolve the due date in a sentence ("by Friday", "next week", "by November 25", "2026-12-01")
relative to the meeting date. Pure; returns ISO dates."""

from __future__ import annotations

import re
from datetime import date, timedelta

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"

_ISO = re.compile(r"\b(?P<y>20\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b")
_MONTH_DAY = re.compile(rf"\b{_MONTH}\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b", re.I)
_DAY_MONTH = re.compile(rf"\b(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b", re.I)
_THE_NTH = re.compile(r"\bby\s+the\s+(?P<day>\d{1,2})(?:st|nd|rd|th)\b", re.I)
_WEEKDAY = re.compile(
    r"\b(?P<next>next\s+)?(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I
)
_RELATIVE = re.compile(
    r"\b(?P<what>tomorrow|next week|end of (?:the )?week|end of (?:the )?month|in (?P<n>two|three|\d+) (?P<unit>days|weeks))\b",
    re.I,
)
_NUMBERS = {"two": 2, "three": 3}


def _month_number(name: str) -> int:
    name = name.lower()[:3]
    return next(i for i, m in enumerate(MONTHS, 1) if m.startswith(name))


def _next_occurrence(meeting: date, month: int, day: int) -> date | None:
    try:
        candidate = date(meeting.year, month, day)
    except ValueError:
        return None
    if candidate < meeting:
        try:
            candidate = date(meeting.year + 1, month, day)
        except ValueError:
            return None
    return candidate


def resolve_due(sentence: str, meeting: date) -> str | None:
    """The first due date the sentence states, as YYYY-MM-DD, or None."""
    if m := _ISO.search(sentence):
        try:
            return date(int(m["y"]), int(m["m"]), int(m["d"])).isoformat()
        except ValueError:
            return None
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        if m := pattern.search(sentence):
            found = _next_occurrence(meeting, _month_number(m["month"]), int(m["day"]))
            if found:
                return found.isoformat()
    if m := _THE_NTH.search(sentence):
        day = int(m["day"])
        month, year = meeting.month, meeting.year
        if day < meeting.day:
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    if m := _RELATIVE.search(sentence):
        what = m["what"].lower()
        if what == "tomorrow":
            return (meeting + timedelta(days=1)).isoformat()
        if what == "next week":
            return (meeting + timedelta(days=7 - meeting.weekday())).isoformat()  # next Monday
        if "week" in what and what.startswith("end"):
            return (meeting + timedelta(days=(4 - meeting.weekday()) % 7)).isoformat()  # Friday
        if "month" in what:
            first_next = date(meeting.year + (meeting.month == 12), meeting.month % 12 + 1, 1)
            return (first_next - timedelta(days=1)).isoformat()
        n = _NUMBERS.get(m["n"].lower()) or int(m["n"])
        return (meeting + timedelta(days=n * (7 if m["unit"].lower() == "weeks" else 1))).isoformat()
    if m := _WEEKDAY.search(sentence):
        target = WEEKDAYS.index(m["weekday"].lower())
        ahead = (target - meeting.weekday()) % 7 or 7
        if m["next"]:
            ahead += 7 if ahead < 7 and target > meeting.weekday() else 0
        return (meeting + timedelta(days=ahead)).isoformat()
    return None
