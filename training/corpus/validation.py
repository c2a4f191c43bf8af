"""Checks annotation files against the format and the span rules.

Every problem is reported as ``file:line: document id: span: what is wrong``
so it can be fixed without hunting, and all problems of all files are listed
at once rather than stopping at the first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from eventslots.model.paths import SEEDS_DIR
from eventslots.model.schema import DEFAULT_SCHEMA, Schema
from eventslots.model.tagging import SEPARATOR, char_class, is_word_boundary

from .documents import SOURCES, read_records, text_key

LEADING_DETERMINERS = ("the", "a", "an", "its", "their", "his", "her")
TRAILING_PUNCTUATION = ".,;:!?"
DOTTED_ACRONYM = re.compile(r"(?:\b[A-Za-z]\.){2,}$")
# Left out before a slot (rule 2); only stripped when tidying, since "At Tanf" is a name
# and "at least 12", "over 40 missiles" keep the word.
LEADING_PREPOSITIONS = ("on", "in", "at", "near", "from", "over", "into", "onto", "against", "toward", "towards")
KEEPS_PREPOSITION = re.compile(r"^(?:least|most|\d|one|two|three|four|five|six|seven|eight|nine|ten|dozens|hundreds)", re.I)


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    document: str
    span: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.document or '-'}: {self.span or '-'}: {self.message}"


def _span_label(span: dict) -> str:
    return f"[{span.get('start')}:{span.get('end')} {span.get('label')}]"


def check_record(
    record: object, seeds_dir: Path | None = SEEDS_DIR, sources: tuple[str, ...] = SOURCES, schema: Schema = DEFAULT_SCHEMA
) -> list[tuple[str, str]]:
    """(span, message) for each problem of one parsed document record; labels outside ``schema`` are problems."""
    if not isinstance(record, dict):
        return [("", "a line must hold one JSON object")]
    problems: list[tuple[str, str]] = []
    doc_id, text, spans = record.get("id"), record.get("text"), record.get("spans")
    if not isinstance(doc_id, str) or not doc_id:
        problems.append(("", "missing or empty 'id' (a string)"))
    if not isinstance(text, str):
        return problems + [("", "missing 'text' (a string)")]
    if not isinstance(spans, list):
        return problems + [("", "missing 'spans' (a list)")]
    if not text.strip():
        return problems + [("", "empty text: a document needs words")]
    surrogate = LONE_SURROGATE.search(text)
    if surrogate:
        # JSON's \ud800 escapes decode to these; no tokenizer or file writer accepts them.
        return problems + [("", f"lone surrogate U+{ord(surrogate.group()):04X} at offset {surrogate.start()}: not valid Unicode text")]
    source = record.get("source", "user")
    if source not in sources:
        problems.append(("", f"unknown source {source!r}; expected one of {', '.join(sources)}"))
    if source == "seed" and isinstance(doc_id, str) and seeds_dir is not None:
        seed_file = seeds_dir / f"{doc_id}.txt"
        if not seed_file.exists():
            problems.append(("", f"seed document has no file {seed_file.name} in seeds/"))
        elif seed_file.read_text(encoding="utf-8") != text:
            problems.append(("", f"text differs from seeds/{seed_file.name}"))

    valid = []
    for span in spans:
        name = _span_label(span) if isinstance(span, dict) else repr(span)
        span_problems = _check_span(span, text, schema)
        problems.extend((name, message) for message in span_problems)
        if not span_problems:
            valid.append(span)
    valid.sort(key=lambda s: (s["start"], s["end"]))
    for before, after in zip(valid, valid[1:]):
        if after["start"] < before["end"]:
            problems.append(
                (_span_label(after), f"overlaps {_span_label(before)}; spans never overlap or nest")
            )
    problems += _check_incidents(valid, record.get("meta"))
    return problems


ISO_TIME = re.compile(r"^\d{4}(-\d\d(-\d\d)?)?(/\d{4}(-\d\d(-\d\d)?)?)?$")


def incidents_by_first_mention(events: Iterable[Iterable[int]]) -> list[int]:
    """The incident ids of spans taken in text order, each once, in the order first mentioned (the spec
    numbers them 1, 2, ... this way)."""
    order: list[int] = []
    for ids in events:
        order += [event for event in sorted(ids) if event not in order]
    return order


def _check_incidents(spans: list[dict], meta: object) -> list[tuple[str, str]]:
    """The spec's "Incidents": ids on all spans or none, numbered by first mention; gold values well formed."""
    with_ids = [s for s in spans if s.get("event") is not None]
    problems: list[tuple[str, str]] = []
    if with_ids and len(with_ids) < len(spans):
        missing = next(s for s in spans if s.get("event") is None)
        problems.append((_span_label(missing), "has no 'event' id while other spans of the document have one"))
    first_mention = incidents_by_first_mention([s["event"]] if isinstance(s["event"], int) else s["event"] for s in with_ids)
    if first_mention and first_mention != list(range(1, len(first_mention) + 1)):
        problems.append(("", f"incidents must be numbered 1, 2, ... in order of first mention; the spans give {first_mention}"))
    values = meta.get("incidents") if isinstance(meta, dict) else None
    if values is None:
        return problems
    if not isinstance(values, list):
        return problems + [("", "meta.incidents must be a list of incident values")]
    seen = set()
    for value in values:
        name = f"meta.incidents[event={value.get('event') if isinstance(value, dict) else '?'}]"
        if not isinstance(value, dict) or value.get("event") not in first_mention:
            problems.append((name, "names no incident of the spans"))
            continue
        if value["event"] in seen:
            problems.append((name, "given twice"))
        seen.add(value["event"])
        time = value.get("time")
        if time is not None and not (isinstance(time, str) and ISO_TIME.match(time)):
            problems.append((name, f"time {time!r} is not an ISO 8601 date, month, year or range"))
        for key in ("killed", "injured"):
            count = value.get(key)
            if count is not None and not (
                isinstance(count, dict) and type(count.get("count")) is int and count["count"] >= 0 and isinstance(count.get("at_least"), bool)
            ):
                problems.append((name, f"{key} must be null or {{\"count\": n, \"at_least\": true|false}}, not {count!r}"))
        if not isinstance(value.get("intercepted"), bool):
            problems.append((name, "intercepted must be true or false"))
        if value.get("damaged") not in (True, False, None):
            problems.append((name, "damaged must be true, false or null"))
    return problems


def _check_span(span: object, text: str, schema: Schema = DEFAULT_SCHEMA) -> list[str]:
    if not isinstance(span, dict):
        return ["a span must be an object with start, end and label"]
    start, end, label = span.get("start"), span.get("end"), span.get("label")
    if not (type(start) is int and type(end) is int):
        return ["start and end must be integers"]
    unknown = schema.label_problem(label)
    if unknown:
        return [unknown]
    if not 0 <= start < end <= len(text):
        return [f"offsets out of range for a text of {len(text)} characters"]
    event = span.get("event")
    if event is not None and not (
        (type(event) is int and event >= 1)
        or (isinstance(event, list) and event and all(type(e) is int and e >= 1 for e in event))
    ):
        return [f"'event' must be an incident id (an integer from 1) or a list of them, not {event!r}"]
    surface = text[start:end]
    problems = []
    if "text" in span and span["text"] != surface:
        problems.append(f"stored text {span['text']!r} differs from text[start:end] {surface!r}")
    if char_class(surface[0]) == SEPARATOR or char_class(surface[-1]) == SEPARATOR:
        problems.append(f"{surface!r} starts or ends with whitespace")
    if not is_word_boundary(text, start) or not is_word_boundary(text, end):
        problems.append(f"{surface!r} cuts inside a word ({text[max(0, start - 10):end + 10]!r})")
    if not schema.guideline_rules:  # the guideline's span style (rules 2, 4 and 8) is the attack schema's own
        return problems
    if "(" in surface or ")" in surface:
        problems.append(f"{surface!r} contains a parenthesis (rule 4)")
    first_word = surface.split(maxsplit=1)[0].lower() if surface.split() else ""
    if first_word in LEADING_DETERMINERS and len(surface.split()) > 1:
        problems.append(f"{surface!r} starts with the determiner {first_word!r} (rule 2)")
    if surface[-1] in TRAILING_PUNCTUATION and not DOTTED_ACRONYM.search(surface):
        problems.append(f"{surface!r} ends with punctuation (rule 8)")
    return problems


def tidy_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The nearest span that keeps the rules checked above, for spans drawn by hand in the app.

    Widens to word boundaries, then drops surrounding whitespace and
    parentheses, a leading determiner and trailing punctuation. Returns
    ``(start, start)`` when nothing is left.
    """
    start, end = max(0, start), min(len(text), end)
    while start > 0 and not is_word_boundary(text, start):
        start -= 1
    while end < len(text) and not is_word_boundary(text, end):
        end += 1
    changed = True
    while changed and start < end:
        changed = False
        if text[start].isspace() or char_class(text[start]) == SEPARATOR or text[start] in "()":
            start, changed = start + 1, True
        elif text[end - 1].isspace() or char_class(text[end - 1]) == SEPARATOR or text[end - 1] in "()":
            end, changed = end - 1, True
        elif text[end - 1] in TRAILING_PUNCTUATION and not DOTTED_ACRONYM.search(text[start:end]):
            end, changed = end - 1, True
        else:
            words = text[start:end].split(maxsplit=1)
            droppable = words[0].lower() in LEADING_DETERMINERS or (
                words[0].lower() in LEADING_PREPOSITIONS and len(words) == 2 and not KEEPS_PREPOSITION.match(words[1])
            )
            if len(words) == 2 and droppable:
                start, changed = start + len(words[0]), True
    return (start, end) if start < end else (start, start)


def json_records(path: Path, problems: list[Problem]):
    """(line number, parsed JSON) for each line of a JSON Lines file; a line that is not JSON is added
    to ``problems`` as a file:line problem and skipped."""
    for number, line in read_records(path):
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(str(path), number, "", "", f"invalid JSON: {error.msg} at column {error.colno}"))


def validate_files(
    paths: Iterable[Path], seeds_dir: Path | None = SEEDS_DIR, duplicates: bool = True, schema: Schema = DEFAULT_SCHEMA
) -> list[Problem]:
    """Every problem in the files, including document ids repeated across them and, with
    ``duplicates``, one text annotated in two places (the same or different spans)."""

    problems: list[Problem] = []
    seen: dict[str, str] = {}
    texts: dict[str, tuple[str, str, list]] = {}
    for path in paths:
        path = Path(path)
        if not path.exists():
            problems.append(Problem(str(path), 0, "", "", "no such file"))
            continue
        for number, record in json_records(path, problems):
            doc_id = record.get("id", "") if isinstance(record, dict) else ""
            doc_id = doc_id if isinstance(doc_id, str) else repr(doc_id)
            for span, message in check_record(record, seeds_dir, schema=schema):
                problems.append(Problem(str(path), number, doc_id, span, message))
            repeated_id = bool(doc_id) and doc_id in seen
            if doc_id:
                where = f"{path}:{number}"
                if doc_id in seen:
                    problems.append(Problem(str(path), number, doc_id, "", f"duplicate document id (first at {seen[doc_id]})"))
                else:
                    seen[doc_id] = where
            if duplicates and isinstance(record, dict) and isinstance(record.get("text"), str):
                key = text_key(record["text"])
                spans = sorted((s.get("start"), s.get("end"), s.get("label")) for s in record.get("spans") or [] if isinstance(s, dict))
                if key in texts and not repeated_id:  # a repeated id is already one problem
                    first_id, first_where, first_spans = texts[key]
                    same = "the same spans" if spans == first_spans else "different spans"
                    problems.append(Problem(str(path), number, doc_id, "",
                                            f"duplicate document: the same text as {first_id} at {first_where}, with {same} "
                                            "(training counts it once)"))
                elif key not in texts:
                    texts[key] = (doc_id, f"{path}:{number}", spans)
    return problems
