"""Sentence boundaries, for grouping a text's spans into incidents.

A sentence ends at a paragraph break, or at ``.``, ``!`` or ``?`` followed by
space and a capital, digit or quote, unless the word before the period is an
abbreviation ("U.S.", "Gen.", "Jan.") or a single initial. This is all the
grouping needs: its errors only blur a feature, never a span.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    "mr mrs ms dr gen col lt maj capt sgt cpl pvt adm cmdr gov sen rep rev st jr sr no vs etc inc corp co ltd "
    "jan feb mar apr jun jul aug sep sept oct nov dec mt ft pres prof".split()
)
_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"\n\s*")


def _is_abbreviation(text: str, period: int) -> bool:
    word = re.search(r"[\w.]*$", text[:period]).group(0)
    bare = word.rstrip(".").lower()
    return bare in ABBREVIATIONS or len(bare) == 1 or "." in bare  # "U.S", "a.m", an initial


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, covering the text's non-space characters in order."""
    cuts = {m.end() for m in _PARAGRAPH.finditer(text)}
    for match in _END.finditer(text):
        if text[match.start()] != "." or not _is_abbreviation(text, match.start()):
            cuts.add(match.end())
    sentences, start = [], 0
    for cut in sorted(cuts) + [len(text)]:
        piece = text[start:cut]
        if piece.strip():
            left = start + len(piece) - len(piece.lstrip())
            sentences.append((left, start + len(piece.rstrip())))
        start = cut
    return sentences


def sentence_index(sentences: list[tuple[int, int]], offset: int) -> int:
    """The index of the sentence holding character ``offset`` (the last that starts at or before it)."""
    index = 0
    for i, (start, _) in enumerate(sentences):
        if start <= offset:
            index = i
        else:
            break
    return index
