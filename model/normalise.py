"""The values an incident record derives from its spans (the spec's "Incidents" table).

Dates go through ``dateparser`` and number words through ``text2num``; what is
left here is which span a value comes from and what the spec says a phrase
means ("no casualties" is 0 killed and 0 injured, "at least 13" is 13 with
``at_least``). Every value keeps the spans it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Sequence

from .spans import Span

# --- time ----------------------------------------------------------------------------------------

# "Lima, 20 Aug 88 (EFE) --": the FBIS dateline, the date a MUC-4 text was filed.
_DATELINE = re.compile(r"^\s*[^\n,]{2,60},\s+(\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{2,4})\b")
# dateparser's precision names, and the ISO 8601 form each gives.
_ISO_FORMS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
_PRECISION = {"year": 1, "month": 2, "day": 3}
# Two far-apart bases: an expression that resolves differently against them is relative to the base.
_PROBE_BASES = (datetime(1950, 6, 15, 12), datetime(2031, 2, 10, 12))


@dataclass(frozen=True)
class TimeValue:
    iso: str  # "2020-01-03", "2020-01", "2020"
    span: Span


@dataclass(frozen=True)
class Count:
    """People killed or injured: ``count``, or at least ``count`` where the text says so."""

    count: int
    at_least: bool = False
    spans: tuple[Span, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict:
        return {"count": self.count, "at_least": self.at_least}


def as_date(value: str | date | datetime | None) -> datetime | None:
    """A publication date given as ISO text, a date or a datetime; raises ValueError naming bad text."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 12)
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"published date {value!r} is not an ISO date such as 2020-01-03") from None
    return datetime(parsed.year, parsed.month, parsed.day, 12)


def dateline(text: str) -> datetime | None:
    """The date of a dateline that opens the text ("Lima, 20 Aug 88 (EFE) --"), if there is one."""
    match = _DATELINE.match(text)
    if not match:
        return None
    parsed = _parser(None).get_date_data(_four_digit_year(match.group(1)))
    return parsed.date_obj if parsed and parsed.date_obj and parsed.period == "day" else None


@lru_cache(maxsize=64)
def _parser(base: datetime | None):
    from dateparser.date import DateDataParser

    settings = {"PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": False}
    if base is not None:
        settings["RELATIVE_BASE"] = base
    return DateDataParser(languages=["en"], settings=settings)


def _four_digit_year(expression: str) -> str:
    """"21 DEC 89" -> "21 DEC 1989": dateparser reads a two-digit year against its base, which can
    put it a century off; a two-digit year from 50 on is 19xx (FBIS texts are 1980s-90s), below is 20xx."""
    def expand(match: re.Match) -> str:
        year = int(match.group(2))
        return f"{match.group(1)}{1900 + year if year >= 50 else 2000 + year}"

    return re.sub(r"(\b\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+|\b[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+)(\d{2})\b", expand, expression)


# Words around a date that dateparser does not need: "approximately this morning",
# "before dawn on 30 October", "the month of November", "early 2020".
_NOISE = re.compile(
    r"(?i)\b(approximately|about|around|some|roughly|before|after|dawn|daybreak|midnight|noon|hours?|gmt|local time|"
    r"the|month|week|of|on|in|at|during|early|late|mid|overnight|night of)\b"
)
# A four-digit clock time ("at 2220", "0400 this morning", "1530 hours") that dateparser reads as a year.
_CLOCK = re.compile(r"(?i)\b(approximately\s+|about\s+|around\s+)?[0-2]\d[0-5]\d\b(?=\s*(hours?|hrs|gmt|local|this|today|yesterday))|\bat\s+[0-2]\d[0-5]\d\b")
_DECADE = re.compile(r"^(?:the\s+)?(1[89]\d|20\d)0s$", re.I)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _parse(expression: str, base: datetime | None):
    """(ISO text, precision) of an expression, or None; one relative to the day it is read in needs ``base``."""
    decade = _DECADE.match(expression.strip())
    if decade:
        return f"{decade.group(1)}0/{decade.group(1)}9", "range"
    without_clock = " ".join(_CLOCK.sub(" ", expression).split())
    attempts = [without_clock, " ".join(_NOISE.sub(" ", without_clock).split())]
    for attempt in attempts:
        attempt = _four_digit_year(attempt)
        if attempt and (found := _parse_plain(attempt, base)):
            moment, period = found
            weekday = next((d for d in _WEEKDAYS if d in attempt.lower()), None)
            if weekday and base is not None and _WEEKDAYS.index(weekday) == base.weekday() and period == "day":
                moment = base  # "Tuesday" in a text dated on a Tuesday is that day, not a week before
            return moment.strftime(_ISO_FORMS[period]), period
    return None


def _parse_plain(expression: str, base: datetime | None):
    probes = [_parser(b).get_date_data(expression) for b in _PROBE_BASES]
    if any(p.date_obj is None or p.period not in _PRECISION for p in probes):
        return None
    forms = {p.date_obj.strftime(_ISO_FORMS[p.period]) for p in probes}
    if len(forms) == 1:  # the expression fixes its date whatever day it is read
        return probes[0].date_obj, probes[0].period
    if base is None:
        return None
    resolved = _parser(base).get_date_data(expression)
    if resolved.date_obj is None or resolved.period not in _PRECISION:
        return None
    return resolved.date_obj, resolved.period


# Times told against the incident before: "the same night", "a few hours later", "the next day".
_SAME_TIME = re.compile(r"(?i)\b(same|that)\s+(night|day|morning|evening|afternoon|period|time|date)\b|\b(hours?|minutes?)\s+later\b|\bshortly (after|afterwards)\b")
_NEXT_DAY = re.compile(r"(?i)\b(next|following)\s+day\b|\bday after\b")


def _anchored(expression: str, previous: TimeValue | None):
    if previous is None or "/" in previous.iso:
        return None
    if _SAME_TIME.search(expression):
        return previous.iso, {1: "year", 2: "month", 3: "day"}[previous.iso.count("-") + 1]
    if _NEXT_DAY.search(expression) and previous.iso.count("-") == 2:
        from datetime import timedelta

        return (date.fromisoformat(previous.iso) + timedelta(days=1)).isoformat(), "day"
    return None


def resolve_time(spans: Sequence[Span], base: datetime | None, previous: TimeValue | None = None) -> TimeValue | None:
    """The most precise date the TIME spans fix (the first such span on a tie), as ISO 8601.
    ``previous`` is the date of the incident told before, for "the same night" or "the next day"."""
    rank = {"range": 0, **_PRECISION}
    best: tuple[int, int, TimeValue] | None = None
    for order, span in enumerate(s for s in spans if s.label == "TIME"):
        parsed = _anchored(span.text, previous) or _parse(span.text, base)
        if parsed is None:
            continue
        iso, period = parsed
        key = (rank[period], -order)
        if best is None or key > best[:2]:
            best = (key[0], key[1], TimeValue(iso, span))
    return best[2] if best else None


# --- casualties ----------------------------------------------------------------------------------

_KILLED = re.compile(r"(?i)\b(kill\w*|dead|died|dies|death\w*|murder\w*|slain|lives|fatalit\w*|assassinat\w*|lifeless|bodies|corpses?)\b")
_INJURED = re.compile(r"(?i)\b(injur\w*|wound\w*|hurt|hospitali[sz]ed|maimed)\b")
_BOTH = re.compile(r"(?i)\bcasualt\w*\b")
_NONE = re.compile(r"(?i)^(no|none|nobody|not any|neither|zero)\b|^no one\b")
# Plural quantity words: the spec's floor for each ("dozens" means at least two dozen).
_VAGUE_FLOORS = {"dozens": 24, "scores": 40, "hundreds": 200, "thousands": 2000}
_HEDGES = re.compile(r"(?i)^(at least|more than|over|upwards of|as many as)\b")
# Words that say "an unknown number": no count.
_NAME_PARTICLES = frozenset("al el bin ibn de del la le van von da di y".split())
_UNCOUNTED = re.compile(r"(?i)^(several|some|many|numerous|few|a few|various|multiple|dozens of|a number of)\b")


def _number(text: str) -> tuple[int, bool] | None:
    """(count, at_least) of a casualty phrase's own words; None where it gives no number."""
    from text_to_num import alpha2digit

    words = re.sub(r"(?i)\b\d+[- ]years?[- ]old\b|\b\w+[- ]years?[- ]old\b", "", text).strip()  # an age is not a count
    if _NONE.match(words):
        return 0, False
    digits = alpha2digit(words.replace(",", ""), "en", threshold=0)
    at_least = bool(_HEDGES.match(words))
    match = re.search(r"\d+", digits)
    if match:
        count = int(match.group(0))
        if re.match(r"(?i)(more than|over)\b", words):
            count += 1
        return count, at_least
    lowered = words.lower()
    for word, floor in _VAGUE_FLOORS.items():
        if re.search(rf"\b{word}\b", lowered):
            return floor, True
    if _UNCOUNTED.match(words) or re.search(r"(?i)\bcasualt|\binjur|\bdeath|\bvictims\b|\bpeople\b", words):
        return None
    last = re.findall(r"[A-Za-z]+", words)
    if not last:
        return None
    if _is_name(words) and (len(words.split()) > 1 or not words.lower().endswith("s")):
        return 1, False  # a named person: "Qasem Soleimani", "Abu Mahdi al-Muhandis"
    if re.match(r"(?i)(a|an|one|single)\b", words) or not last[-1].lower().endswith(("s", "men", "people", "children")):
        return 1, False
    return None


def _kind(text: str, span: Span, sentence: tuple[int, int]) -> str | None:
    """"killed", "injured" or "both" for a casualty span: its own words, then the nearest cue in its sentence."""
    own = span.text
    if _KILLED.search(own) and not _INJURED.search(own):
        return "killed"
    if _INJURED.search(own) and not _KILLED.search(own):
        return "injured"
    if _BOTH.search(own):
        return "both"
    start, end = sentence
    after = text[span.end : end]
    before = text[start : span.start]
    cues = []
    for pattern, kind in ((_KILLED, "killed"), (_INJURED, "injured"), (_BOTH, "both")):
        for m in pattern.finditer(after):
            cues.append((m.start(), kind))
        for m in pattern.finditer(before):
            cues.append((len(before) - m.end() + 2, kind))  # a cue after the span wins a tie
    return min(cues)[1] if cues else None


def casualty_counts(text: str, spans: Sequence[Span], sentences: Sequence[tuple[int, int]]) -> tuple[Count | None, Count | None]:
    """(killed, injured). Within a sentence, coordinated spans add up ("two soldiers and a civilian")
    unless one of them is already the total of the others ("18 people: nine policemen and nine
    civilians"); across sentences the largest figure stands (a figure repeated is not added again).
    A denied casualty ("no casualties", "no one was hurt") is 0 killed and 0 injured."""
    from .sentences import sentence_index

    totals: dict[str, dict[int, list]] = {"killed": {}, "injured": {}}
    casualties = [s for s in spans if s.label == "CASUALTIES"]
    for position, span in enumerate(casualties):
        if position and _apposition(text, casualties[position - 1], span):
            continue  # "Qasem Soleimani, commander of the Quds Force": one person, named twice
        number = _number(span.text)
        index = sentence_index(list(sentences), span.start)
        sentence = sentences[index] if sentences else (0, len(text))
        if (number is None or number == (1, False)) and negated(text, span, sentences):
            for target in ("killed", "injured"):
                totals[target].setdefault(index, []).append(((0, False), span))
            continue
        if number is None:
            continue
        # A denial covers both ("no injuries" is read as no one hurt, so no one killed either).
        kind = "both" if number[0] == 0 else _kind(text, span, sentence)
        if kind is None or (kind == "both" and number[0] != 0):
            continue  # "five casualties" does not say how many died
        for target in ("killed", "injured") if kind == "both" else (kind,):
            totals[target].setdefault(index, []).append((number, span))
    result = []
    for target in ("killed", "injured"):
        best: Count | None = None
        for members in totals[target].values():
            count = _sentence_total(text, members)
            if best is None or count.count > best.count:
                best = count
        result.append(best)
    return result[0], result[1]


def _is_name(words: str) -> bool:
    names = [re.sub(r"(?i)^(al|el|ad|as|ash|bin|ibn)-", "", w) for w in re.findall(r"[\w'-]+", words) if w.lower() not in _NAME_PARTICLES]
    return bool(names) and all(w[:1].isupper() for w in names) and not re.search(r"\d", words)


def _apposition(text: str, before: Span, span: Span) -> bool:
    """True where two spans, a comma apart, name one person: a name and a description of it, either
    way round ("Qasem Soleimani, commander of the Quds Force"; "Iran's top commander, Qasem Soleimani")."""
    return bool(re.fullmatch(r"\s*,\s*", text[before.end : span.start])) and _is_name(before.text) != _is_name(span.text) and not _number_word(before.text + " " + span.text)


def _number_word(words: str) -> bool:
    from text_to_num import alpha2digit

    return bool(re.search(r"\d", alpha2digit(words, "en", threshold=0)))


def _sentence_total(text: str, members: list) -> Count:
    counts = [n for (n, _), _ in members]
    for (n, at_least), span in members:
        if len(members) > 2 and n == sum(counts) - n:
            return Count(n, at_least, (span,))  # a total given with its breakdown
    # Spans joined only by commas and "and" are one list; separate mentions are not added.
    chains: list[list] = [[members[0]]]
    for previous, member in zip(members, members[1:]):
        between = text[previous[1].end : member[1].start]
        # An apposition between two listed names is part of the list: "A, commander of X, and B".
        between = re.sub(r"^\s*,\s*[a-z][^,]*", "", between)
        if re.fullmatch(r"(?i)[\s,]*(and|as well as|plus)?\s*(a|an|the|one)?[\s,]*", between):
            chains[-1].append(member)
        else:
            chains.append([member])
    chain = max(chains, key=lambda c: sum(n for (n, _), _ in c))
    return Count(sum(n for (n, _), _ in chain), any(a for (_, a), _ in chain), tuple(s for _, s in chain))


# --- interception and damage ---------------------------------------------------------------------

_INTERCEPT = re.compile(r"(?i)\b(intercept\w*|shot down|shoot\w* down|downed|thwart\w*|foil\w*|defus\w*|repel\w*|knocked out|repuls\w*|neutrali[sz]\w*)\b")
_NO_DAMAGE = re.compile(r"(?i)^(no|none|nothing|not any|without)\b")
# A negation that reaches a following noun phrase: "no reports of casualties or damage".
_NEGATION_BEFORE = re.compile(r"(?i)\b(no|not|without|nor|never|neither|n't)\b(?![^,;]*\b(but|except|although|though)\b)[^,;.]*$")


def intercepted(spans: Sequence[Span]) -> tuple[bool, tuple[Span, ...]]:
    """True where the incident names an interceptor or a trigger of intercepting; the spans that say so."""
    evidence = tuple(s for s in spans if s.label == "INTERCEPTOR" or (s.label == "TRIGGER" and _INTERCEPT.search(s.text)))
    return bool(evidence), evidence


def negated(text: str, span: Span, sentences: Sequence[tuple[int, int]]) -> bool:
    """True where the span denies itself ("no damage") or a negation shortly before it in its
    sentence does ("no reports of casualties or damage", "did not cause damage")."""
    from .sentences import sentence_index

    if _NONE.match(span.text) or _NO_DAMAGE.match(span.text):
        return True
    start = sentences[sentence_index(list(sentences), span.start)][0] if sentences else 0
    return bool(_NEGATION_BEFORE.search(text[max(start, span.start - 45) : span.start]))


def damaged(text: str, spans: Sequence[Span], sentences: Sequence[tuple[int, int]]) -> tuple[bool | None, tuple[Span, ...]]:
    """True where a DAMAGE span names damage, False where they all deny it ("no damage"), else None."""
    damage = [s for s in spans if s.label == "DAMAGE"]
    if not damage:
        return None, ()
    affirmed = tuple(s for s in damage if not negated(text, s, sentences))
    return (True, affirmed) if affirmed else (False, tuple(damage))
