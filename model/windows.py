"""Overlapping token windows over whole documents.

The encoder reads at most 512 positions; articles are longer. A document is
tokenised once, without truncation, and cut into windows of ``window_tokens``
sub-words (special tokens included) that overlap by ``stride_tokens``. Windows
start on the first sub-word of a word, so no window begins mid-word. Training
and inference share this code, so the model is trained on exactly the views it
predicts from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

# Chosen by held-out transfer to the real articles (README, "How the settings were chosen"):
# 128-token windows gave more updates per epoch than 256 at the same cost, and scored higher.
DEFAULT_WINDOW_TOKENS = 128
DEFAULT_STRIDE_TOKENS = 32
# How far past its paragraph's end a paragraph's windows read, for context (None: a full window).
# 0: a paragraph reads itself alone, 1.24x fewer sub-words of the seeds than 32 and 1.20x faster. Real-dev
# scored it as 32 (paired difference -0.001, 95% -0.004 to +0.001, fp32), and so did the seeds'
# leave-one-out, read by the same fold models (benchmarks/results/crossval-paragraph-alone.md).
DEFAULT_CONTEXT_TOKENS = 0
# Sub-words shared by consecutive windows of a paragraph longer than one window: training's stride.
# 24 scored as 32 on real-dev and reads 5% fewer sub-words of the seeds, but read by the same fold models
# the three single-paragraph seeds scored 0.879, 0.868 and 0.894 against 0.860, 0.880 and 0.930.
DEFAULT_OVERLAP_TOKENS = DEFAULT_STRIDE_TOKENS


@dataclass(frozen=True)
class EncodedText:
    ids: list[int]
    offsets: list[tuple[int, int]]  # character range of each sub-word in the text
    word_starts: list[bool]  # True where a sub-word begins a new pre-tokenizer word


@dataclass(frozen=True)
class Window:
    start: int  # index of the window's first sub-word in the document
    end: int  # exclusive


def encode_text(tokenizer, text: str) -> EncodedText:
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    word_ids = encoding.word_ids()
    starts = [i == 0 or word_ids[i] != word_ids[i - 1] for i in range(len(word_ids))]
    return EncodedText(list(encoding["input_ids"]), [tuple(o) for o in encoding["offset_mapping"]], starts)


def _content(window_tokens: int, stride_tokens: int) -> int:
    """Sub-words a window holds besides [CLS] and [SEP], once the settings are known to be usable."""
    content = window_tokens - 2
    if content <= 0 or stride_tokens < 0 or stride_tokens >= content:
        raise ValueError(
            f"window_tokens={window_tokens} and stride_tokens={stride_tokens} need 0 <= stride < window - 2"
        )
    return content


def _slide(encoded: EncodedText, content: int, stride_tokens: int, start: int, cover_until: int, limit: int | None = None) -> list[Window]:
    """Windows from ``start`` on, each sharing about ``stride_tokens`` with the last, until one reaches
    ``cover_until``, none reaching past ``limit``; every window after the first starts on a word's first sub-word."""
    total = len(encoded.ids) if limit is None else min(limit, len(encoded.ids))
    windows: list[Window] = []
    while True:
        end = min(start + content, total)
        windows.append(Window(start, end))
        if end >= cover_until:
            return windows
        next_start = end - stride_tokens
        # Start the next window on a word's first sub-word, but always move forward.
        while next_start > start + 1 and not encoded.word_starts[next_start]:
            next_start -= 1
        start = max(next_start, start + 1)


def plan_windows(encoded: EncodedText, window_tokens: int, stride_tokens: int) -> list[Window]:
    """Windows covering every sub-word; consecutive windows share about ``stride_tokens``."""
    return _slide(encoded, _content(window_tokens, stride_tokens), stride_tokens, 0, len(encoded.ids))


PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")


def paragraph_starts(text: str, encoded: EncodedText) -> list[int]:
    """Sub-word indices where a paragraph (text after a blank line) begins; always includes 0."""
    starts = [0] if encoded.ids else []
    for i in range(1, len(encoded.ids)):
        if PARAGRAPH_BREAK.search(text, encoded.offsets[i - 1][1], encoded.offsets[i][0]):
            starts.append(i)
    return starts


def plan_reading(
    text: str,
    encoded: EncodedText,
    window_tokens: int,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    context_tokens: int | None = DEFAULT_CONTEXT_TOKENS,
) -> tuple[list[Window], list[tuple[int, int]]]:
    """Windows for inference, and for each sub-word the (window, position) it is read from.

    Each paragraph is read from windows of its own, the first starting at the
    paragraph's first sub-word, so a paragraph's spans depend on its own text
    and the ``context_tokens`` that follow it, never on where a window
    happened to fall: the same paragraph repeated reads the same. A paragraph
    longer than a window gets windows that share ``overlap_tokens`` and start
    on word boundaries, as :func:`plan_windows` does. ``context_tokens`` caps
    how far past the paragraph's end its windows read (None: as far as a
    window reaches)."""
    content = _content(window_tokens, overlap_tokens)
    total = len(encoded.ids)
    starts = paragraph_starts(text, encoded)
    windows: list[Window] = []
    owners: list[tuple[int, int]] = []
    for first_token, last_token in zip(starts, [*starts[1:], total]):
        limit = None if context_tokens is None else last_token + context_tokens
        own = _slide(encoded, content, overlap_tokens, first_token, last_token, limit)
        owners += [(len(windows) + index, position) for index, position in best_window_for_tokens(own, range(first_token, last_token))]
        windows += own
    return windows, owners


def window_inputs(tokenizer, encoded: EncodedText, window: Window) -> list[int]:
    return [tokenizer.cls_token_id, *encoded.ids[window.start : window.end], tokenizer.sep_token_id]


def best_window_for_tokens(windows: Sequence[Window], tokens: range) -> list[tuple[int, int]]:
    """For each sub-word of ``tokens``, (window index, position inside that window's inputs) of the window
    where it sits farthest from an edge: context on both sides makes its prediction best."""
    best: list[tuple[int, int]] = [(-1, -1)] * len(tokens)
    margin = [-1] * len(tokens)
    for index, window in enumerate(windows):
        for token in range(max(window.start, tokens.start), min(window.end, tokens.stop)):
            distance = min(token - window.start, window.end - 1 - token)
            if distance > margin[token - tokens.start]:
                margin[token - tokens.start] = distance
                best[token - tokens.start] = (index, token - window.start + 1)  # +1 for [CLS]
    return best
