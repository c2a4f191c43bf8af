"""The values an incident record derives from its spans (the spec's "Incidents" table).

Dates go through ``dateparser`` and number words through ``text2num``; what is
left here is which span a value comes from and what the spec says a phrase
means ("no casualties" is 0 killed and 0 injured, "at least 13" is 13 with
``at_least``). Every value keeps the spans it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
# "before dawn on 30 October", "the month of November", "early 2020", "autumn 1974" (a season gives its year).
_NOISE = re.compile(
    r"(?i)\b(approximately|about|around|some|roughly|before|after|dawn|daybreak|midnight|noon|hours?|gmt|local time|"
    r"the|month|week|of|on|in|at|during|early|late|mid|overnight|night of|spring|summer|autumn|winter)\b"
)
# A four-digit clock time ("at 2220", "0400 this morning", "1530 hours") that dateparser reads as a year.
_CLOCK = re.compile(r"(?i)\b(approximately\s+|about\s+|around\s+)?[0-2]\d[0-5]\d\b(?=\s*(hours?|hrs|gmt|local|this|today|yesterday))|\bat\s+[0-2]\d[0-5]\d\b")
_DECADE = re.compile(r"^(?:the\s+)?(1[89]\d|20\d)0s$", re.I)
# "the first half of November": half a month, as a range of days.
_HALF = re.compile(r"(?i)^(?:the\s+)?(first|second|1st|2nd)\s+half\s+of\s+(.+)$")
# "in the past few hours", "over the last 24 hours": the day the text was written.
_RECENT_HOURS = re.compile(r"(?i)^(?:the\s+)?(past|last|recent)\s+(\w+\s+)?hours$")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _parse(expression: str, base: datetime | None):
    """(ISO text, precision) of an expression, or None; one relative to the day it is read in needs ``base``."""
    decade = _DECADE.match(expression.strip())
    if decade:
        return f"{decade.group(1)}0/{decade.group(1)}9", "range"
    if _RECENT_HOURS.match(expression.strip()):
        return (base.strftime(_ISO_FORMS["day"]), "day") if base is not None else None
    half = _HALF.match(expression.strip())
    if half:
        whole = _parse(half.group(2), base)
        first_half = half.group(1).lower() in ("first", "1st")
        if whole is not None and whole[1] == "year":
            return (f"{whole[0]}-01-01/{whole[0]}-06-30" if first_half else f"{whole[0]}-07-01/{whole[0]}-12-31"), "range"
        if whole is None or whole[1] != "month":
            return None
        first = datetime.strptime(whole[0], "%Y-%m")
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        start, end = (first, first.replace(day=15)) if first_half else (first.replace(day=16), last)
        return f"{start:%Y-%m-%d}/{end:%Y-%m-%d}", "range"
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
_SAME_TIME = re.compile(r"(?i)\b(same|that)\s+(night|day|morning|evening|afternoon|period|time|date)\b|\b(hours?|minutes?)\s+(later|after|before|earlier)\b|\bshortly (after|afterwards)\b")
_NEXT_DAY = re.compile(r"(?i)\b(next|following)\s+day\b|\bday after\b")
_DAY_BEFORE = re.compile(r"(?i)\b(previous|preceding)\s+day\b|\bday before\b")
# "two days after", "a week earlier": a span of time counted from the incident told before, never from the
# publication date (dateparser would read "two days after" as two days after the day the text was written).
_FROM_EVENT = re.compile(r"(?i)\b(days?|weeks?|months?|years?)\s+(after|later|before|earlier|prior)\b")


def _anchored(expression: str, previous: TimeValue | None):
    """(ISO text, precision) of a time told against ``previous``; None where it is not such a time."""
    if previous is None:
        return None
    if _SAME_TIME.search(expression):  # within the earlier date, a range included ("a few hours later")
        return previous.iso, "range" if "/" in previous.iso else {1: "year", 2: "month", 3: "day"}[previous.iso.count("-") + 1]
    if "/" in previous.iso or previous.iso.count("-") != 2:
        return None  # counting days from a month or a range gives no day
    day = datetime.fromisoformat(previous.iso).replace(hour=12)
    if _NEXT_DAY.search(expression) or _DAY_BEFORE.search(expression):
        return (day + timedelta(days=1 if _NEXT_DAY.search(expression) else -1)).strftime("%Y-%m-%d"), "day"
    if _FROM_EVENT.search(expression):
        counted = re.sub(r"(?i)\b(later|earlier|prior)\b", lambda m: "after" if m.group(1).lower() == "later" else "before", expression)
        parsed = _parser(day).get_date_data(counted)
        if parsed.date_obj is not None and parsed.period in ("day", "week"):
            return parsed.date_obj.strftime("%Y-%m-%d"), "day"  # "a week before" is a day, seven back
    return None


# "killed since [1980]", "since the violence began in [1980]": from that year or month to the day the text
# was written ("since" stays outside the span, rule 2).
_SINCE = re.compile(r"(?i)\bsince(\s+[\w'-]+){0,8}?\s+$")


def resolve_time(spans: Sequence[Span], base: datetime | None, previous: TimeValue | None = None, text: str = "") -> TimeValue | None:
    """The most precise date the TIME spans fix (the first such span on a tie), as ISO 8601.
    ``previous`` is the date of the incident told before, for "the same night" or "the next day";
    ``text``, the text the spans are of, for a date introduced by "since" (a range up to ``base``)."""
    rank = {"range": 0, **_PRECISION}
    best: tuple[int, int, TimeValue] | None = None
    for order, span in enumerate(s for s in spans if s.label == "TIME"):
        parsed = _anchored(span.text, previous)
        if parsed is None and not _FROM_EVENT.search(span.text):
            parsed = _parse(span.text, base)
        if parsed is None:
            continue
        iso, period = parsed
        if period in ("year", "month") and base is not None and _SINCE.search(text[max(0, span.start - 80) : span.start]):
            iso, period = f"{iso}/{base:%Y-%m-%d}", "range"
        key = (rank[period], -order)
        if best is None or key > best[:2]:
            best = (key[0], key[1], TimeValue(iso, span))
    return best[2] if best else None


# --- casualties ----------------------------------------------------------------------------------

_KILLED = re.compile(r"(?i)\b(kill\w*|dead|died|dies|death\w*|murder\w*|slain|slay\w*|slaughter\w*|massacre\w*|martyr\w*|lives|"
                     r"fatalit\w*|toll|assassinat\w*|lifeless|bodies|corpses?)\b")
# Also taken "to hospital" (not "medics at Al-Awda hospital said"), and "stabbed" unless "to death".
_INJURED = re.compile(r"(?i)\b(injur\w*|wound\w*|hurt|hospitali[sz]\w*|(?:in|to|into)\s+(?:a\s+|the\s+)?(?:\w+\s+)?hospitals?|maimed|crippl\w*|"
                      r"stabb\w*\b(?!\s+to\s+death))\b")
# Words between a casualty span and the cue that governs it: "[two] were also killed", "stabbed [him] to death",
# "the death of [six]".
_AUXILIARIES = re.compile(r"(?i)\s*(?:(?:were|was|are|is|have|has|had|been|being|got|to|also|reportedly|later|all|both|critically|seriously|"
                          r"severely|fatally|slightly|badly|mortally|lightly)\s+)*")
_GOVERNED = re.compile(r"(?i)(?:\s+(?:of|the|a|an|some|all|his|her|their|its))*\s*$")
_BOTH = re.compile(r"(?i)\bcasualt\w*\b")
_NONE = re.compile(r"(?i)^(no|none|nobody|not any|neither|zero)\b|^no one\b")
# Plural quantity words: the spec's floor for each ("dozens" means at least two dozen).
_VAGUE_FLOORS = {"dozens": 24, "scores": 40, "hundreds": 200, "thousands": 2000}
_HEDGES = re.compile(r"(?i)^(at least|more than|over|upwards of|as many as)\b")
# An age is not a count: "18-year-old girl", "four-month-old Lina Salem".
_AGE = re.compile(r"(?i)\b\w+[- ](year|month|week|day)s?[- ]old\b")
# Words that say "an unknown number": no count.
_NAME_PARTICLES = frozenset("al el bin ibn de del la le van von da di y".split())
_UNCOUNTED = re.compile(r"(?i)^(several|some|many|numerous|few|a few|various|multiple|dozens of|a number of)\b")


def _number(text: str) -> tuple[int, bool] | None:
    """(count, at_least) of a casualty phrase's own words; None where it gives no number."""
    from text_to_num import alpha2digit

    words = _AGE.sub("", text).strip()
    if _NONE.match(words):
        return 0, False
    lowered = words.lower()
    at_least = bool(_HEDGES.match(words))
    # Before text2num, which reads "hundreds" as 100: a plural quantity word with no number is a floor.
    for word, floor in _VAGUE_FLOORS.items():
        if re.search(rf"\b{word}\b", lowered) and not re.search(r"\d", lowered):
            return floor, True
    counted = re.sub(r"(?i)\bhalf an? dozen\b", "6", words.replace(",", ""))
    digits = alpha2digit(re.sub(r"(?i)\b(a|one) dozen\b", "1 dozen", counted), "en", threshold=0)
    match = re.search(r"(\d+)(\s+dozen\b)?", digits)
    if match:
        count = int(match.group(1)) * (12 if match.group(2) else 1)
        if re.match(r"(?i)(more than|over)\b", words):
            count += 1
        return count, at_least
    if _UNCOUNTED.match(words) or re.search(r"(?i)\bcasualt|\binjur|\bdeath|\bvictims\b|\bpeople\b", words):
        return None
    # The head noun decides singular or plural: "deputy head of the Popular Mobilization Forces" is one.
    last = re.findall(r"[A-Za-z]+", re.split(r"(?i)\s+of\s+", words)[0])
    if not last:
        return None
    if _is_name(words) and (len(words.split()) > 1 or not words.lower().endswith("s") or _PARTICLE.match(words)):
        return 1, False  # a named person: "Qasem Soleimani", "Al-Muhandis" (not "Iraqis")
    if re.match(r"(?i)(a|an|one|single)\b", words) or not last[-1].lower().endswith(("s", "men", "people", "children")):
        return 1, False
    return None


_CUES = ((_KILLED, "killed"), (_INJURED, "injured"), (_BOTH, "both"))


def _governed_after(text: str, position: int, end: int) -> str | None:
    """The kind of a cue that follows ``position`` at once: "[two] were also killed" (a place, "in hospital",
    does not: "the bodies of [35 soldiers] in the hospital")."""
    lead = _AUXILIARIES.match(text, position, end).end()
    for pattern, kind in _CUES:
        found = pattern.match(text, lead, end) if lead > position else None
        if found and not re.match(r"(?i)(in|to|into)\s", found.group(0)):
            return kind
    return None


def _governed_before(text: str, start: int, position: int) -> str | None:
    """The kind of a cue that ends just before ``position``: "the death of [six]", "killing a [woman]"."""
    before = text[start:position]
    tail = _GOVERNED.search(before).start()
    return next((kind for pattern, kind in _CUES if any(m.end() == tail for m in pattern.finditer(before))), None)


def _kind(text: str, span: Span, sentence: tuple[int, int], listed: Sequence[Span] = ()) -> str | None:
    """"killed", "injured" or "both" for a casualty span: its own words, a cue that governs it or the list
    of ``listed`` spans it is in, then the nearest cue in its sentence."""
    own = span.text
    if _KILLED.search(own) and not _INJURED.search(own):
        return "killed"
    if _INJURED.search(own) and not _KILLED.search(own):
        return "injured"
    if _BOTH.search(own):
        return "both"
    start, end = sentence
    # A cue that governs the span outright wins over a nearer one of the next clause:
    # "caused the death of [6 people] and crippled [23 others]", "[three] were injured and two killed".
    governed = _governed_after(text, span.end, end) or _governed_before(text, start, span.start)
    if governed:
        return governed
    # So does one that governs its list: "killed with [two other Americans] and [an Afghani] injured",
    # "killing [a woman] and her [teenage son] and wounding five others".
    mates = sorted(s for s in listed if start <= s.start and s.end <= end)
    if span in mates:
        first = last = mates.index(span)
        while last + 1 < len(mates) and _LIST.fullmatch(text[mates[last].end : mates[last + 1].start]):
            last += 1
        while first > 0 and _LIST.fullmatch(text[mates[first - 1].end : mates[first].start]):
            first -= 1
        governed = _governed_after(text, mates[last].end, end) or _governed_before(text, start, mates[first].start)
        if last > first and governed:
            return governed
    after = text[span.end : end]
    before = text[start : span.start]
    cues = []
    for pattern, kind in _CUES:
        for m in pattern.finditer(after):
            cues.append((m.start(), kind))
        for m in pattern.finditer(before):
            cues.append((len(before) - m.end() + 2, kind))  # a cue after the span wins a tie
    return min(cues)[1] if cues else None


# A floor given by rounding down ("over 26"), which an exact figure told elsewhere can replace.
_ROUNDED = re.compile(r"(?i)(more than|over)\b")


def casualty_counts(
    text: str, spans: Sequence[Span], sentences: Sequence[tuple[int, int]], shared: frozenset[Span] = frozenset()
) -> tuple[Count | None, Count | None]:
    """(killed, injured). Within a sentence, coordinated spans add up ("two soldiers and a civilian")
    unless one of them is already the total of the others ("18 people: nine policemen and nine
    civilians") or a part of the figure before ("14 fishermen, including two Colombians"); across
    sentences the largest figure stands (a figure repeated is not added again).
    A denied casualty ("no casualties", "no one was hurt") is 0 killed and 0 injured.
    A ``shared`` span, one that other incidents hold too ("two suicide bombings killed [over 48 people]"),
    gives the figure only where the incident's own spans give none: its own toll is the one it stated."""
    if shared:
        own = _casualty_counts(text, [s for s in spans if s not in shared], sentences)
        both = _casualty_counts(text, spans, sentences)
        return tuple(mine if mine is not None else theirs for mine, theirs in zip(own, both))  # a Count(0) of its own stands
    return _casualty_counts(text, spans, sentences)


def _casualty_counts(text: str, spans: Sequence[Span], sentences: Sequence[tuple[int, int]]) -> tuple[Count | None, Count | None]:
    from .sentences import sentence_index

    totals: dict[str, dict[int, list]] = {"killed": {}, "injured": {}}
    casualties = [s for s in spans if s.label == "CASUALTIES"]
    ordered = list(sentences)
    in_sentence = [sentence_index(ordered, span.start) for span in casualties]
    counted = inside = False
    named_twice: list[Span] = []
    for position, span in enumerate(casualties):
        index = in_sentence[position]
        between = text[casualties[position - 1].end : span.start] if position else ""
        same_sentence = position and in_sentence[position - 1] == index
        if same_sentence and (counted or inside) and (_SUBSET.search(between) or _PART.match(span.text)):
            inside = True  # "14 fishermen, including two Colombians": counted in the figure before, and so are its list
        elif not (inside and _LIST.fullmatch(between)) or _governed_after(text, span.end, len(text)):
            inside = False  # "among them six children, and [more than 40] were injured" is a figure of its own
        if inside:
            continue
        if position and counted and _apposition(text, casualties[position - 1], span):
            named_twice.append(span)
            continue  # "Qasem Soleimani, commander of the Quds Force": one person, named twice
        number = _number(span.text)
        counted = number is not None
        sentence = sentences[index] if sentences else (0, len(text))
        if (number is None or number == (1, False)) and negated(text, span, sentences):
            for target in ("killed", "injured"):
                totals[target].setdefault(index, []).append(((0, False), span))
            continue
        if number is None:
            continue
        # A denial covers both ("no injuries" is read as no one hurt, so no one killed either).
        kind = "both" if number[0] == 0 else _kind(text, span, sentence, casualties)
        if kind is None or (kind == "both" and number[0] != 0):
            continue  # "five casualties" does not say how many died
        for target in ("killed", "injured") if kind == "both" else (kind,):
            totals[target].setdefault(index, []).append((number, span))
    result = []
    for target in ("killed", "injured"):
        figures = [_sentence_total(text, members, _KILLED if target == "killed" else _INJURED, named_twice) for members in totals[target].values()]
        best = max(figures, key=lambda c: c.count, default=None)
        if best is not None and best.at_least:
            # "killed over 26" and "26 people and the bomber were killed": the exact figure the floor rounds stands.
            floor = best.count - 1 if any(_ROUNDED.match(s.text) for s in best.spans) else best.count
            best = next((c for c in figures if not c.at_least and c.count >= floor), best)
        result.append(best)
    return result[0], result[1]


_PARTICLE = re.compile(r"(?i)^(al|el|ad|as|ash|bin|ibn)-")


def _is_name(words: str) -> bool:
    words = _AGE.sub("", words)
    names = [_PARTICLE.sub("", w) for w in re.findall(r"[\w'-]+", words) if w.lower() not in _NAME_PARTICLES]
    return bool(names) and all(w[:1].isupper() for w in names) and not re.search(r"\d", words)


def _apposition(text: str, before: Span, span: Span) -> bool:
    """True where two spans, a comma (and an article) apart, name one person: a name and a description of it,
    either way round ("Qasem Soleimani, commander of the Quds Force"; "James McDade, a volunteer")."""
    return (bool(re.fullmatch(r"(?i)\s*,\s*((a|an|the)\s+)?", text[before.end : span.start])) and _is_name(before.text) != _is_name(span.text)
            and not _number_word(_AGE.sub("", before.text + " " + span.text)))


def _number_word(words: str) -> bool:
    from text_to_num import alpha2digit

    return bool(re.search(r"\d", alpha2digit(words, "en", threshold=0)))


# Spans joined only by commas and "and" are one list ("two soldiers and a civilian"; "Samir Abu Odeh, 52, and his three sons").
_AND = r"(and|as well as|plus)"
_LIST = re.compile(rf"(?i)[\s,]*(\d{{1,3}},\s*)?{_AND}?\s*(a|an|the|one|his|her|their|its)?[\s,]*")
# A part singled out of a figure just given: "14 fishermen, including two Colombians".
_SUBSET = re.compile(r"(?i)\b(includ\w*|among them|among whom|of whom|of them)\b")
# A part given as one: "25 people killed, [five of them children]".
_PART = re.compile(r"(?i)\S+\s+of\s+(them|whom)\b")
# A figure on top of the one before, where a cue of the same kind comes between: "96 people were detained in
# hospital, and about 24 others were allowed home", "injuring A and lightly injuring another officer".
_FURTHER = re.compile(r"(?i)^(another|a further)\b|\bothers\b|^\S+\s+more\b")


def _sentence_total(text: str, members: list, cue: re.Pattern, named_twice: Sequence[Span] = ()) -> Count:
    def between(previous: Span, member: Span) -> str:
        words = text[previous.end : member.start]
        # An apposition between two listed names is part of the list: "A, commander of X, and B".
        for other in named_twice:
            if previous.end <= other.start and other.end <= member.start:
                words = words.replace(other.text, "", 1)
        return re.sub(r"^\s*,\s*(?!and\b)[a-z][^,]*(?=,)", "", words)

    joins = [between(a[1], b[1]) for a, b in zip(members, members[1:])]
    listed = [bool(_LIST.fullmatch(j)) for j in joins]
    # A list ends on "and": a last member set off by a comma alone describes the one before it
    # ("his cousin Hemin, a university student"; "a Syrian crew member, the ship's electrician").
    kept = [members[0]] + [m for i, m in enumerate(members[1:]) if not (
        listed[i] and not re.search(rf"(?i)\b{_AND}\b", joins[i]) and not (i + 1 < len(listed) and listed[i + 1]))]
    if len(kept) < len(members):
        return _sentence_total(text, kept, cue, (*named_twice, *(m[1] for m in members if m not in kept)))
    counts = [n for (n, _), _ in members]
    for (n, at_least), span in members:
        if len(members) > 2 and n == sum(counts) - n:
            return Count(n, at_least, (span,))  # a total given with its breakdown
    # Listed spans add up, and so does a further figure; separate mentions are not added.
    chains: list[list] = [[members[0]]]
    for join, is_list, member in zip(joins, listed, members[1:]):
        if is_list or (_FURTHER.search(member[1].text) and cue.search(join)):
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
