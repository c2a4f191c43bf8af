"""Words and IOB2 tags over character spans.

A *word* here is what BERT's pre-tokenizer calls one: a run of characters that
are neither whitespace, punctuation, control characters nor CJK ideographs;
each punctuation mark and each CJK character is a word of its own. Using the
encoder's own notion of a word means every span boundary allowed by the
annotation rules ("never cut inside a word") is also a sub-word token
boundary, so spans survive the round trip through the model exactly.

The same words are the unit of seqeval scoring and of the CoNLL export, which
makes every system (the transformer, the memoriser, spaCy) scored on one
tokenisation.
"""

from __future__ import annotations

import bisect
import unicodedata
from functools import lru_cache
from typing import Iterable, Sequence

from .schema import OUTSIDE, begin_tag, continues, inside_tag, split_tag
from .spans import Span

Word = tuple[int, int]

_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)

SEPARATOR, SINGLE, WORD = 0, 1, 2


@lru_cache(maxsize=65536)
def char_class(char: str) -> int:
    """SEPARATOR (whitespace, control), SINGLE (punctuation, CJK) or WORD."""
    if char.isspace():
        return SEPARATOR
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn") or char == "\ufffd":
        return SEPARATOR
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return SINGLE
    if category.startswith("P"):
        return SINGLE
    if any(low <= code <= high for low, high in _CJK_RANGES):
        return SINGLE
    return WORD


def word_tokens(text: str) -> list[Word]:
    """Character ranges ``(start, end)`` of the words of ``text``, in order."""
    words: list[Word] = []
    start = None
    for i, char in enumerate(text):
        kind = char_class(char)
        if kind == WORD:
            if start is None:
                start = i
            continue
        if start is not None:
            words.append((start, i))
            start = None
        if kind == SINGLE:
            words.append((i, i + 1))
    if start is not None:
        words.append((start, len(text)))
    return words


def is_word_boundary(text: str, offset: int) -> bool:
    """True where a span may start or end: not between two word characters."""
    if offset <= 0 or offset >= len(text):
        return True
    return not (char_class(text[offset - 1]) == WORD and char_class(text[offset]) == WORD)


def spans_to_tags(words: Sequence[Word], spans: Iterable[Span]) -> list[str]:
    """IOB2 tag of each word; a word belongs to a span when it lies inside it."""
    tags = [OUTSIDE] * len(words)
    starts = [w[0] for w in words]
    for span in sorted(spans):
        first = bisect.bisect_left(starts, span.start)
        inside = False
        for i in range(first, len(words)):
            w_start, w_end = words[i]
            if w_start >= span.end:
                break
            if w_end <= span.end:
                tags[i] = inside_tag(span.label) if inside else begin_tag(span.label)
                inside = True
    return tags


def tags_to_spans(
    text: str,
    words: Sequence[Word],
    tags: Sequence[str],
    scores: Sequence[float] | None = None,
) -> list[Span]:
    """Spans from IOB2 word tags.

    Lenient on malformed input the way a decoder must be: an ``I-X`` that does
    not continue an ``X`` span opens a new one, so model output never loses a
    predicted word. Span scores are the mean of the word scores.
    """
    spans: list[Span] = []
    current: list[int] = []
    current_label: str | None = None

    def close() -> None:
        if current_label is None or not current:
            return
        start, end = words[current[0]][0], words[current[-1]][1]
        score = 1.0 if scores is None else sum(scores[i] for i in current) / len(current)
        spans.append(Span(start, end, current_label, text[start:end], round(float(score), 4)))

    for i, tag in enumerate(tags):
        label = split_tag(tag)[1]
        if current and continues(tag, tags[current[-1]]):
            current.append(i)
            continue
        close()
        current, current_label = ([i], label) if label is not None else ([], None)
    close()
    return spans
