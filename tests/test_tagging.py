"""Span <-> IOB2 conversion loses nothing (property-based), and words match the encoder's pre-tokenizer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from eventslots.model.schema import LABEL_NAMES
from eventslots.model.spans import Span
from eventslots.model.tagging import spans_to_tags, tags_to_spans, word_tokens

alphabet = st.sampled_from(list("abcXYZ019 -.,'’()\n\t") + ["é", "😀", "北", "\u200b"])


@st.composite
def documents_with_spans(draw):
    text = draw(st.text(alphabet, max_size=120))
    words = word_tokens(text)
    spans, i = [], 0
    while i < len(words):
        if draw(st.booleans()):
            length = draw(st.integers(1, 4))
            j = min(len(words), i + length)
            start, end = words[i][0], words[j - 1][1]
            spans.append(Span(start, end, draw(st.sampled_from(LABEL_NAMES)), text[start:end]))
            i = j + draw(st.integers(0, 1))  # adjacent spans too
        else:
            i += 1
    return text, spans


@settings(max_examples=400, deadline=None)
@given(documents_with_spans())
def test_spans_to_iob2_and_back_is_identity(case):
    text, spans = case
    words = word_tokens(text)
    tags = spans_to_tags(words, spans)
    assert tags_to_spans(text, words, tags) == spans
    # IOB2: every span starts with B-, I- only continues the same label.
    for previous, tag in zip(["O", *tags], tags):
        if tag.startswith("I-"):
            assert previous[2:] == tag[2:]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet, max_size=200))
def test_words_cover_every_visible_character(text):
    words = word_tokens(text)
    covered = {i for start, end in words for i in range(start, end)}
    for i, char in enumerate(text):
        if not char.isspace() and char != "\u200b":
            assert i in covered
    assert all(start < end for start, end in words)
    assert all(a[1] <= b[0] for a, b in zip(words, words[1:]))


def test_words_agree_with_the_encoder_pre_tokenizer(seed_documents):
    from tokenizers.pre_tokenizers import BertPreTokenizer

    for document in seed_documents:
        expected = [offsets for _, offsets in BertPreTokenizer().pre_tokenize_str(document.text)]
        assert word_tokens(document.text) == expected


def test_lenient_decoding_of_broken_sequences():
    text = "rockets hit base"
    words = word_tokens(text)
    spans = tags_to_spans(text, words, ["I-WEAPON", "B-TRIGGER", "I-TARGET"])
    assert [(s.text, s.label) for s in spans] == [("rockets", "WEAPON"), ("hit", "TRIGGER"), ("base", "TARGET")]
