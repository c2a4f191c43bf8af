"""Inline bracket markup: the quickest way to write an annotated text by hand.

::

    === authored-ukr-001
    source: authored
    style: wire report
    ---
    [Russian|ATTACKER] forces [fired|TRIGGER] [two cruise missiles|WEAPON] at [Odesa|TARGET].

A document starts at a ``=== id`` line, is followed by ``key: value`` metadata
lines up to ``---``, then the text, where ``[surface|LABEL]`` marks a span and
``[surface|LABEL|1]`` (or ``|1,2``) also gives the incidents it belongs to.
``\\[``, ``\\]``, ``\\|`` and ``\\\\`` write those characters literally.
A metadata value that is not a plain one-line string (``origin``, a number,
a string with a line break) is written as JSON, and read back as JSON when
it starts with ``{``, ``[`` or ``"``.

The round trip is lossless: what :func:`render` cannot write so that
:func:`parse` reads back the same document (a text that starts or ends with
a line break, or has a line starting with ``=== ``; an id with spaces around
it) is refused with an error naming the document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from eventslots.model.schema import LABEL_NAME
from eventslots.model.spans import Span

from ..documents import SOURCES, Document

HEADER = "=== "
META_END = "---"
SPECIAL = "[]|\\"
LIST_KEYS = ("attacks",)


class MarkupError(ValueError):
    pass


def _parse_body(body: str, first_line: int, path: str, doc_id: str) -> tuple[str, list[Span]]:
    chars: list[str] = []
    spans: list[Span] = []
    open_at: int | None = None  # offset in the text where the current '[' began
    line = first_line
    i = 0

    def fail(message: str) -> MarkupError:
        return MarkupError(f"{path}:{line}: {doc_id}: {message}")

    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body) and body[i + 1] in SPECIAL:
            chars.append(body[i + 1])
            i += 2
            continue
        if char == "[":
            if open_at is not None:
                raise fail("'[' inside a span; spans never nest (write \\[ for a literal bracket)")
            open_at = len(chars)
        elif char == "|" and open_at is not None:
            close = body.find("]", i)
            label, _, events = (body[i + 1 : close] if close != -1 else "").partition("|")
            # Which labels are known is the schema's to say (validation); here only the syntax.
            if not LABEL_NAME.match(label):
                raise fail(f"malformed or unclosed label {label!r}; write [surface|LABEL]")
            if open_at == len(chars):
                raise fail("empty span")
            event = tuple(e.strip() for e in events.split(",")) if events else ()
            if not all(e.isdigit() and int(e) >= 1 for e in event):
                raise fail(f"incident ids must be numbers from 1, as in [surface|{label}|1,2]; got {events!r}")
            event = tuple(sorted({int(e) for e in event}))
            spans.append(Span(open_at, len(chars), label, "".join(chars[open_at:]), event=event))
            open_at = None
            i = close + 1
            continue
        elif char in "]|":
            raise fail(f"stray {char!r} (write \\{char} for a literal one)")
        else:
            if char == "\n":
                if open_at is not None:
                    raise fail("span runs across a line break")
                line += 1
            chars.append(char)
        i += 1
    if open_at is not None:
        raise fail("span not closed with '|LABEL]'")
    return "".join(chars), spans


def parse(content: str, path: str = "<markup>") -> list[tuple[int, Document]]:
    lines = content.split("\n")
    documents: list[tuple[int, Document]] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if not lines[i].startswith(HEADER):
            raise MarkupError(f"{path}:{i + 1}: expected a '=== document-id' line")
        header_line = i + 1
        doc_id = lines[i][len(HEADER) :].strip()
        if not doc_id:
            raise MarkupError(f"{path}:{i + 1}: empty document id")
        meta: dict = {}
        i += 1
        while i < len(lines) and lines[i].strip() != META_END:
            key, sep, value = lines[i].partition(":")
            if lines[i].startswith(HEADER) or not sep:
                raise MarkupError(f"{path}:{i + 1}: {doc_id}: expected 'key: value' or '---'")
            key, value = key.strip(), value.strip()
            if value[:1] in ("{", "[", '"'):
                try:
                    meta[key] = json.loads(value)
                except json.JSONDecodeError as error:
                    raise MarkupError(f"{path}:{i + 1}: {doc_id}: {key}: a value starting with {value[0]!r} is JSON: {error.msg}")
            else:
                meta[key] = [v.strip() for v in value.split(",") if v.strip()] if key in LIST_KEYS else value
            i += 1
        if i == len(lines):
            raise MarkupError(f"{path}:{i}: {doc_id}: missing '---' before the text")
        i += 1
        body_start = i
        while i < len(lines) and not lines[i].startswith(HEADER):
            i += 1
        body = "\n".join(lines[body_start:i])
        leading = len(body) - len(body.lstrip("\n"))
        text, spans = _parse_body(body.strip("\n"), body_start + 1 + leading, path, doc_id)
        source = meta.pop("source", "user")
        if source not in SOURCES:
            raise MarkupError(f"{path}:{body_start}: {doc_id}: unknown source {source!r}")
        documents.append((header_line, Document(doc_id, text, tuple(spans), source, meta)))
    return documents


def _escape(text: str) -> str:
    return "".join("\\" + c if c in SPECIAL else c for c in text)


def _meta_value(key: str, value) -> str:
    if key in LIST_KEYS and isinstance(value, list) and value and all(
        isinstance(v, str) and v == v.strip() and v and "," not in v and "\n" not in v and v[0] not in "{[\"" for v in value
    ):
        return ", ".join(value)
    if isinstance(value, str) and "\n" not in value and "\r" not in value and value == value.strip() and value[:1] not in ("{", "[", '"'):
        return value
    return json.dumps(value, ensure_ascii=False)


def _check_renderable(document: Document) -> None:
    def refuse(why: str) -> MarkupError:
        return MarkupError(f"{document.id!r}: markup cannot keep this document losslessly: {why}; use JSON Lines")

    if document.id != document.id.strip() or not document.id or any(c in document.id for c in "\r\n"):
        raise refuse("its id is empty or has spaces or line breaks around it")
    if document.text != document.text.strip("\n") or not document.text.strip():
        raise refuse("its text is empty, or starts or ends with a line break")
    if any(line.startswith(HEADER) or line.strip() == META_END and n == 0 for n, line in enumerate(document.text.split("\n"))):
        raise refuse(f"a line of its text starts with {HEADER.strip()!r} (or the text starts with {META_END!r})")
    for key in document.meta:
        if not isinstance(key, str) or not key or key != key.strip() or ":" in key or "\n" in key or key.startswith(HEADER) or key == "source":
            raise refuse(f"metadata key {key!r} cannot be written as 'key: value'")
        if not isinstance(document.meta[key], (str, list, dict)):
            raise refuse(f"metadata {key!r} is a {type(document.meta[key]).__name__}; markup keeps strings, lists and objects")
    if any("\n" in s.text for s in document.spans):
        raise refuse("a span runs across a line break")


def render(documents: Sequence[Document]) -> str:
    chunks = []
    for document in documents:
        _check_renderable(document)
        head = [f"{HEADER}{document.id}", f"source: {document.source}"]
        for key, value in document.meta.items():
            head.append(f"{key}: {_meta_value(key, value)}")
        head.append(META_END)
        body, cursor = [], 0
        for span in sorted(document.spans):
            body.append(_escape(document.text[cursor : span.start]))
            event = "|" + ",".join(map(str, span.event)) if span.event else ""
            body.append(f"[{_escape(span.text)}|{span.label}{event}]")
            cursor = span.end
        body.append(_escape(document.text[cursor:]))
        chunks.append("\n".join(head) + "\n" + "".join(body) + "\n")
    return "\n".join(chunks)


def read(path: Path) -> list[tuple[int, Document]]:
    # newline="": a carriage return in a text is part of the text, not a line ending to translate.
    with open(path, encoding="utf-8", newline="") as handle:
        return parse(handle.read(), str(path))


write = render
