"""CoNLL-style BIO: one token per line, a blank line between sentences,
``-DOCSTART-`` between documents.

Each line is ``token<TAB>misc<TAB>tag``. Tools that read the first and the last
column (spaCy's converter, the conll2003 readers) take it as plain BIO. The
middle column keeps what plain CoNLL loses, so an export reads back to the
identical document: on a token line the whitespace after the token, in the
CoNLL-U MISC convention (``_`` for one space, ``SpaceAfter=No``,
``SpacesAfter=\\n\\n`` with ``\\s \\t \\n \\r \\\\`` and ``\\uXXXX`` escapes); on
the ``-DOCSTART-`` line the document's id, source, metadata and leading
whitespace as percent-encoded JSON.

Files from other tools (two or four columns, IOB1 or IOB2) are read too: the
last column is the tag, tokens are joined with single spaces and sentences
with newlines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence
from urllib.parse import quote, unquote

from eventslots.model.schema import LABEL_NAME, OUTSIDE, PREFIXES, SCHEME, continues, split_tag
from eventslots.model.tagging import spans_to_tags, tags_to_spans, word_tokens

from ..documents import AnnotationError, Document
from ..validation import Problem

DOCSTART = "-DOCSTART-"
SENTENCE_END = {".", "!", "?"}
_ESCAPES = {" ": "\\s", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}
_UNESCAPES = {v[1]: k for k, v in _ESCAPES.items()}


def encode_gap(gap: str) -> str:
    if gap == " ":
        return "_"
    if gap == "":
        return "SpaceAfter=No"
    return "SpacesAfter=" + "".join(_ESCAPES.get(c, c if c.isprintable() and not c.isspace() else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}") for c in gap)


def decode_gap(misc: str) -> str | None:
    """The whitespace after a token, or None if the column is not ours (e.g. a POS tag)."""
    if misc == "_":
        return " "
    if misc == "SpaceAfter=No":
        return ""
    if not misc.startswith("SpacesAfter="):
        return None
    value, out, i = misc[len("SpacesAfter=") :], [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            kind = value[i + 1]
            if kind in _UNESCAPES:
                out.append(_UNESCAPES[kind])
                i += 2
                continue
            width = {"u": 4, "U": 8}.get(kind)
            if width:
                out.append(chr(int(value[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
        out.append(value[i])
        i += 1
    return "".join(out)


def _sentence_breaks(text: str, words: list[tuple[int, int]], tags: list[str]) -> set[int]:
    """Indices of words that end a sentence; never inside a span."""
    breaks = set()
    for i in range(len(words) - 1):
        if continues(tags[i + 1], tags[i]):
            continue
        gap = text[words[i][1] : words[i + 1][0]]
        ends_sentence = text[words[i][0] : words[i][1]] in SENTENCE_END and gap.strip() == "" and gap != ""
        if "\n" in gap or (ends_sentence and text[words[i + 1][0]].isupper()):
            breaks.add(i)
    return breaks


def write(documents: Sequence[Document]) -> str:
    out: list[str] = []
    for document in documents:
        text = document.text
        words = word_tokens(text)
        tags = spans_to_tags(words, document.spans)
        header = {"id": document.id, "source": document.source}
        if document.meta:
            header["meta"] = document.meta
        lead = text[: words[0][0]] if words else text
        if lead:
            header["lead"] = lead
        out.append(f"{DOCSTART}\t{quote(json.dumps(header, ensure_ascii=False), safe='')}\t{OUTSIDE}")
        out.append("")
        breaks = _sentence_breaks(text, words, tags)
        for i, (start, end) in enumerate(words):
            gap_end = words[i + 1][0] if i + 1 < len(words) else len(text)
            out.append(f"{text[start:end]}\t{encode_gap(text[end:gap_end])}\t{tags[i]}")
            if i in breaks:
                out.append("")
        if words:
            out.append("")
    return "\n".join(out) + "\n"


def read(path: Path) -> list[tuple[int, Document]]:
    path = Path(path)
    documents: list[tuple[int, Document]] = []
    current: dict | None = None

    def finish() -> None:
        if current is None or (not current["tokens"] and "id" not in current["header"]):
            return
        pieces, words, tags = [current["header"].get("lead", "")], [], []
        cursor = len(pieces[0])
        for token, gap, tag, sentence_end in current["tokens"]:
            words.append((cursor, cursor + len(token)))
            tags.append(tag)
            if gap is None:
                gap = "\n" if sentence_end else " "
            pieces.extend([token, gap])
            cursor += len(token) + len(gap)
        if current["tokens"] and current["tokens"][-1][1] is None:
            pieces.pop()  # plain CoNLL: no separator after the last token
        text = "".join(pieces)
        header = current["header"]
        doc_id = header.get("id") or f"{path.stem}-{len(documents) + 1}"
        spans = tags_to_spans(text, words, tags)
        document = Document(doc_id, text, tuple(spans), header.get("source", "user"), header.get("meta") or {})
        documents.append((current["line"], document))

    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\n").rstrip("\r")
            if line.startswith(DOCSTART):
                finish()
                columns = line.split("\t") if "\t" in line else line.split()
                header = {}
                if len(columns) == 3:
                    try:
                        header = json.loads(unquote(columns[1]))
                    except json.JSONDecodeError:
                        header = {}
                current = {"header": header if isinstance(header, dict) else {}, "tokens": [], "line": number}
                continue
            if current is None:
                current = {"header": {}, "tokens": [], "line": number}
            if not line.strip():
                if current["tokens"]:
                    token, gap, tag, _ = current["tokens"][-1]
                    current["tokens"][-1] = (token, gap, tag, True)
                continue
            columns = line.split("\t") if "\t" in line else line.split()
            if len(columns) < 2:
                raise AnnotationError([Problem(str(path), number, "", "", f"expected 'token ... tag', got {line!r}")])
            token, tag = columns[0], columns[-1]
            gap = decode_gap(columns[1]) if len(columns) == 3 else None
            prefix, label = split_tag(tag)
            # Whether the label is the schema's is checked with the rest of the document (validation).
            if tag != OUTSIDE and not (prefix in PREFIXES and label and LABEL_NAME.match(label)):
                raise AnnotationError([Problem(str(path), number, "", "", f"malformed tag {tag!r}; expected an {SCHEME} tag: {OUTSIDE}, or B-/I- and a label")])
            current["tokens"].append((token, gap, tag, False))
    finish()
    return documents
