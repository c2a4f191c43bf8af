"""Inference's reading plan: each paragraph read from windows of its own, every sub-word read once."""

from __future__ import annotations

from eventslots.model.paths import SEEDS_DIR
from eventslots.model.windows import DEFAULT_OVERLAP_TOKENS, encode_text, paragraph_starts, plan_reading


def test_each_paragraph_is_read_alone_and_every_sub_word_once(tokenizer):
    short = "A drone struck a depot in Kharkiv on Monday."
    long = (SEEDS_DIR / "002_0d1978074a54745d.txt").read_text(encoding="utf-8").strip()  # one paragraph, ~600 sub-words
    text = f"{short}\n\n{long}\n\n{short}"
    encoded = encode_text(tokenizer, text)
    windows, owners = plan_reading(text, encoded, 128)
    starts = paragraph_starts(text, encoded)
    assert len(starts) == 3
    bounds = list(zip(starts, [*starts[1:], len(encoded.ids)]))
    # Each paragraph's windows start at it, and none crosses a paragraph break, so a paragraph's spans
    # depend on its own text alone.
    for first, last in bounds:
        assert [w for w in windows if first <= w.start < last][0].start == first
    assert all(any(first <= w.start and w.end <= last for first, last in bounds) for w in windows)
    assert all(w.end - w.start <= 126 for w in windows)
    # The long paragraph's windows share DEFAULT_OVERLAP_TOKENS sub-words (a few more where a word would be
    # split: a window starts on a word's first sub-word).
    long_windows = [w for w in windows if bounds[1][0] <= w.start < bounds[1][1]]
    assert len(long_windows) > 4
    for before, after in zip(long_windows, long_windows[1:]):
        assert DEFAULT_OVERLAP_TOKENS <= before.end - after.start < 2 * DEFAULT_OVERLAP_TOKENS
        assert encoded.word_starts[after.start]
    # Every sub-word is read from exactly one window, one that holds it, and of its own paragraph.
    assert len(owners) == len(encoded.ids)
    for token, (index, position) in enumerate(owners):
        assert windows[index].start + position - 1 == token
        assert any(first <= windows[index].start <= token < last for first, last in bounds)


def test_context_past_the_paragraph_is_a_setting(tokenizer):
    text = "Rockets hit Sderot.\n\nThe army said the launchers were in Gaza and had been struck."
    encoded = encode_text(tokenizer, text)
    alone, _ = plan_reading(text, encoded, 128, context_tokens=0)
    reaching, _ = plan_reading(text, encoded, 128, context_tokens=8)
    first_break = paragraph_starts(text, encoded)[1]
    assert alone[0].end == first_break
    assert reaching[0].end == first_break + 8
