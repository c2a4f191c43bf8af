"""Auxiliary training data from WikiEvents (Li, Ji & Han, NAACL 2021).

WikiEvents annotates Conflict.Attack events in news about bombings and drone
strikes. Their triggers and five argument roles map onto our labels; the
other four labels (TIME, INTERCEPTOR, CASUALTIES, DAMAGE) are not annotated
there, so the file records which labels it marks and training does not teach
their absence as ``O``.

Each attack event contributes the text around its trigger (``CONTEXT_TOKENS``
either side; overlapping contexts of one document are merged), not the whole
article: most of a WikiEvents article is outside any attack event. Both the
official format (``dev.jsonl``/``test.jsonl``, with entity offsets) and the
derived train file (arguments as strings only; each is placed at its
occurrence nearest the trigger) are read. The data itself is never part of
this project; ``eventslots auxiliary wikievents PATH...`` builds the file from
a copy the user has.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from eventslots.model.spans import Span
from eventslots.model.tagging import is_word_boundary

from .auxiliary import AUXILIARY_SOURCE
from .documents import Document, dumps
from .validation import tidy_span

ROLE_LABELS = {
    "Attacker": "ATTACKER",
    "Target": "TARGET",
    "Instrument": "WEAPON",
    "ExplosiveDevice": "WEAPON",
    "Place": "LOCATION",
}
ANNOTATED = ["TRIGGER", *sorted(set(ROLE_LABELS.values()))]
CONTEXT_TOKENS = 60
MAX_TRIGGER_TOKENS = 3


def _offsets(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Tokens joined by single spaces (the encoder's pre-tokenizer splits them the same way)."""
    offsets, cursor = [], 0
    for token in tokens:
        offsets.append((cursor, cursor + len(token)))
        cursor += len(token) + 1
    return " ".join(tokens), offsets


def _nearest(text: str, needle: str, near: int) -> tuple[int, int] | None:
    best, start = None, text.find(needle)
    while start != -1:
        whole = is_word_boundary(text, start) and is_word_boundary(text, start + len(needle))
        if whole and (best is None or abs(start - near) < abs(best - near)):
            best = start
        start = text.find(needle, start + 1)
    return None if best is None else (best, best + len(needle))


def _events(record: dict) -> Iterable[tuple[int, int, list[tuple[str, str, tuple[int, int] | None]]]]:
    """(trigger start token, end token, [(label, text, token range or None)]) per attack event."""
    entities = {e["id"]: (e["start"], e["end"]) for e in record.get("entity_mentions", [])}
    for event in record["event_mentions"]:
        if not event["event_type"].startswith("Conflict.Attack"):
            continue
        trigger = event["trigger"]
        start = trigger.get("start", trigger.get("start_idx"))
        end = trigger.get("end", trigger.get("end_idx"))
        arguments = [
            (ROLE_LABELS[a["role"]], a["text"], entities.get(a.get("entity_id")))
            for a in event["arguments"]
            if a["role"] in ROLE_LABELS
        ]
        yield start, end, arguments


def convert_record(record: dict) -> list[Document]:
    doc_id = record.get("doc_id") or record.get("docid")
    text, offsets = _offsets(record["tokens"])
    candidates: list[Span] = []
    windows: list[list[int]] = []
    for start, end, arguments in _events(record):
        if not 0 <= start < end <= len(offsets):
            continue
        char_start, char_end = tidy_span(text, offsets[start][0], offsets[end - 1][1])
        # About 3% of the derived file's triggers are misaligned phrases; a trigger is a word or two.
        if char_start < char_end and end - start <= MAX_TRIGGER_TOKENS:
            candidates.append(Span(char_start, char_end, "TRIGGER", text[char_start:char_end]))
        for label, surface, token_range in arguments:
            if token_range is not None:
                where = (offsets[token_range[0]][0], offsets[token_range[1] - 1][1])
            else:
                where = _nearest(text, surface, char_start)
            if where is not None:
                s, e = tidy_span(text, *where)
                if s < e:
                    candidates.append(Span(s, e, label, text[s:e]))
        windows.append([max(0, start - CONTEXT_TOKENS), min(len(offsets), end + CONTEXT_TOKENS)])
    merged: list[list[int]] = []
    for window in sorted(windows):
        if merged and window[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], window[1])
        else:
            merged.append(window)
    documents = []
    for number, (first, last) in enumerate(merged):
        lo, hi = offsets[first][0], offsets[last - 1][1]
        # Longest first, then no overlaps: a trigger inside another event's argument keeps the argument.
        kept: list[Span] = []
        for span in sorted(candidates, key=lambda s: (s.start - s.end, s.start)):
            if lo <= span.start and span.end <= hi and all(span.end <= k.start or k.end <= span.start for k in kept):
                kept.append(span)
        spans = tuple(sorted(Span(s.start - lo, s.end - lo, s.label, s.text) for s in kept))
        documents.append(Document(f"wikievents-{doc_id}-{number}", text[lo:hi], spans, AUXILIARY_SOURCE, {}))
    return documents


def build_wikievents(paths: Iterable[str | Path], output: str | Path) -> int:
    """Write the auxiliary file from WikiEvents JSON Lines files; never overwrites. Returns documents written."""
    output = Path(output)
    if output.exists():
        raise FileExistsError(f"{output} already exists; choose another name")
    documents = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    documents.extend(convert_record(json.loads(line)))
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "x", encoding="utf-8") as handle:
        for document in documents:
            record = json.loads(dumps(document))
            record["annotated"] = ANNOTATED
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(documents)
