"""Slot-filler swapping: new training documents from old ones.

A copy of a document keeps its wording and triggers but has some of its slot
fillers replaced by fillers of the same label from other documents ("Houthi
forces fired two missiles at a tanker" becomes "unknown gunmen fired a
barrage of 40 rockets at a military base"). The tagger then sees each context
with many fillers and has to learn from the context, not the strings.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Sequence

from eventslots.model.spans import Span

from .corpus import Document

# Every slot is swapped but the attack schema's TRIGGER: triggers carry the event's wording, and swapping them makes nonsense.
KEPT_LABELS = ("TRIGGER",)
SWAP_PROBABILITY = 0.5


def filler_pool(documents: Sequence[Document]) -> dict[str, list[tuple[str, str]]]:
    """label -> [(surface, document id)], one entry per distinct surface per document."""
    pool: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for document in documents:
        for span in document.spans:
            if span.label not in KEPT_LABELS:
                pool[span.label].add((span.text, document.id))
    return {label: sorted(entries) for label, entries in pool.items()}


def swap_fillers(document: Document, pool: dict[str, list[tuple[str, str]]], rng: random.Random, copy: int) -> Document:
    pieces: list[str] = []
    spans: list[Span] = []
    cursor = 0
    length = 0
    for span in sorted(document.spans):
        before = document.text[cursor : span.start]
        pieces.append(before)
        length += len(before)
        candidates = [s for s, doc_id in pool.get(span.label, ()) if doc_id != document.id]
        surface = span.text
        if span.label not in KEPT_LABELS and candidates and rng.random() < SWAP_PROBABILITY:
            surface = rng.choice(candidates)
        pieces.append(surface)
        spans.append(Span(length, length + len(surface), span.label, surface))
        length += len(surface)
        cursor = span.end
    pieces.append(document.text[cursor:])
    return Document(f"{document.id}#swap{copy}", "".join(pieces), tuple(spans), "authored", {})


def augment_documents(documents: Sequence[Document], copies: int, rng: random.Random) -> list[Document]:
    """``copies`` swapped variants of every document that has spans."""
    if copies <= 0:
        return []
    pool = filler_pool(documents)
    return [
        swap_fillers(document, pool, rng, copy)
        for copy in range(1, copies + 1)
        for document in documents
        if document.spans
    ]
