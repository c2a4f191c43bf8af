"""Correcting predicted spans and saving them as a new annotation file.

Pure functions over (text, spans), so the app's behaviour can be tested
without a browser: the app only moves values between these and its widgets.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Iterable, Sequence

from eventslots.model.paths import corpus_roots, workspace_annotations_dir
from eventslots.model.schema import DEFAULT_SCHEMA, Schema
from eventslots.model.spans import Span
from eventslots.training.corpus import Document, write_new_file
from eventslots.training.corpus.formats import existing_ids
from eventslots.training.corpus.validation import check_record, tidy_span

USER_DIR_NAME = "user"
TABLE_HEADERS = ["label", "text", "score", "start", "end"]


class EditError(ValueError):
    """A correction that cannot be applied; the message says why and what to do."""


def to_highlight(text: str, spans: Iterable[Span]) -> dict:
    """The value of ``gr.HighlightedText``, entities sorted by start."""
    return {
        "text": text,
        "entities": [{"entity": s.label, "start": s.start, "end": s.end} for s in sorted(spans)],
    }


# The label Gradio gives words the user has just selected, before a label is typed.
SELECTION_PLACEHOLDER = "LABEL"


def highlight_pairs(value) -> list[tuple[str, str | None]]:
    """``(substring, label)`` pairs of a ``gr.HighlightedText`` value, in its list or its dict form."""
    if not value:
        return []
    if isinstance(value, dict):
        pairs = []
        cursor = 0
        for entity in sorted(value.get("entities", []), key=lambda e: e["start"]):
            pairs.append((value["text"][cursor : entity["start"]], None))
            pairs.append((value["text"][entity["start"] : entity["end"]], entity.get("entity") or entity.get("entity_group")))
            cursor = entity["end"]
        pairs.append((value["text"][cursor:], None))
        return pairs
    return [(item[0], item[1]) if not isinstance(item, dict) else (item["token"], item.get("class_or_confidence")) for item in value]


def schema_label(label: object, schema: Schema) -> str | None:
    """The schema's spelling of ``label`` typed in any case ("perpind" -> "PerpInd"), or None."""
    typed = str(label or "").strip()
    return next((name for name in schema.label_names if name.upper() == typed.upper()), None)


def from_highlight(
    value, text: str, previous: Sequence[Span] = (), selection_label: str | None = None, schema: Schema = DEFAULT_SCHEMA
) -> list[Span]:
    """Spans from the (edited) highlighted text: a list of ``(substring, label)`` pairs or the dict form.

    Words just selected (Gradio's placeholder label) take ``selection_label``, the label chosen in the
    app's Label box; spans left as they were keep their ``previous`` scores, new or changed ones score 1."""
    if not value:
        return []
    pairs = highlight_pairs(value)
    if "".join(token for token, _ in pairs) != text:
        raise EditError("The highlighted text no longer matches the article; press Extract again.")
    scores = {(s.start, s.end, s.label): s.score for s in previous}
    spans, cursor = [], 0
    for token, label in pairs:
        start, end = cursor, cursor + len(token)
        cursor = end
        if label in (None, "", "O"):
            continue
        names = ", ".join(schema.label_names)
        typed, label = str(label).strip(), schema_label(label, schema)
        if label is None and typed.upper() == SELECTION_PLACEHOLDER:
            label = schema_label(selection_label, schema)
            if label is None:
                raise EditError(
                    f"Type a label for the selected words ({names}) and press Enter, "
                    "or choose one in the Label box below and select them again."
                )
        if label is None:
            raise EditError(f"Unknown label {typed!r}: use one of {names}.")
        start, end = tidy_span(text, start, end)
        if start < end:
            spans.append(Span(start, end, label, text[start:end], scores.get((start, end, label), 1.0)))
    return resolve_overlaps(spans)


def resolve_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Spans never overlap: where a newer span overlaps older ones, the newer wins."""
    kept: list[Span] = []
    for span in spans:
        kept = [k for k in kept if k.end <= span.start or span.end <= k.start]
        kept.append(span)
    return sorted(kept)


def to_table(spans: Iterable[Span]) -> list[list]:
    return [[s.label, s.text, round(s.score, 3), s.start, s.end] for s in sorted(spans)]


def from_table(rows, text: str, schema: Schema = DEFAULT_SCHEMA) -> list[Span]:
    """Spans from the edited table: a row with an empty label is deleted; offsets win over the text column."""
    if rows is None:
        return []
    if hasattr(rows, "values"):  # a pandas DataFrame
        rows = rows.values.tolist()
    spans = []
    for number, row in enumerate(rows, start=1):
        typed = str(row[0] or "").strip()
        if not typed or typed.upper() == "NAN":
            continue
        label = schema_label(typed, schema)
        if label is None:
            raise EditError(f"Row {number}: unknown label {typed!r}: use one of {', '.join(schema.label_names)}.")
        try:
            start, end = int(row[3]), int(row[4])
        except (TypeError, ValueError):
            raise EditError(f"Row {number}: start and end must be whole numbers.")
        if not 0 <= start < end <= len(text):
            raise EditError(f"Row {number}: offsets {start}-{end} are outside the article (0-{len(text)}).")
        start, end = tidy_span(text, start, end)
        if start == end:
            raise EditError(f"Row {number}: the span holds no word.")
        score = float(row[2]) if row[2] not in (None, "") else 1.0
        spans.append(Span(start, end, label, text[start:end], score))
    return resolve_overlaps(spans)


def add_span(
    text: str, spans: Sequence[Span], label: str, surface: str, occurrence: int = 1, schema: Schema = DEFAULT_SCHEMA
) -> list[Span]:
    """Add ``label`` on the ``occurrence``-th whole-word match of ``surface``."""
    surface = surface.strip()
    label = schema_label(label, schema)
    if label is None:
        raise EditError(f"Choose a label: one of {', '.join(schema.label_names)}.")
    if not surface:
        raise EditError("Type the exact words of the span to add.")
    matches = [
        m.start() for m in re.finditer(re.escape(surface), text) if tidy_span(text, m.start(), m.end()) == (m.start(), m.end())
    ]
    if not matches:
        raise EditError(f"{surface!r} is not in the article as whole words.")
    if not 1 <= occurrence <= len(matches):
        raise EditError(f"{surface!r} occurs {len(matches)} time(s); choose an occurrence from 1 to {len(matches)}.")
    start = matches[occurrence - 1]
    return resolve_overlaps([*spans, Span(start, start + len(surface), label, surface)])


def slug(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return "-".join(words)[:60].strip("-")


def corrections_root(annotations_dir: str | Path | None, schema: Schema = DEFAULT_SCHEMA) -> Path:
    """Where corrections are saved: ``annotations/`` for the default schema; for another, a folder of
    its own beside it (``annotations-<schema>/``), since every file under ``annotations/`` is in the
    default schema's training corpus. Train on it with ``--schema FILE --annotations annotations-<schema>``."""
    root = Path(annotations_dir) if annotations_dir else workspace_annotations_dir()
    return root if schema == DEFAULT_SCHEMA else root.with_name(f"{root.name}-{schema.name}")


def save_correction(
    text: str, spans: Sequence[Span], name: str, annotations_dir: str | Path | None = None, meta: dict | None = None,
    schema: Schema = DEFAULT_SCHEMA,
) -> Path:
    """Validate against ``schema`` and write a new file ``<annotations_dir>/user/<date>-<name>.jsonl`` (default:
    under ``corrections_root``); never overwrites. ``meta`` says where the annotation came from (default: the app)."""
    if not text.strip():
        raise EditError("There is no article to save; paste one and press Extract first.")
    base = slug(name) or slug(text[:60])
    if not base:
        raise EditError("Give the annotation a name made of letters or digits.")
    stem = f"{time.strftime('%Y-%m-%d')}-{base}"
    annotations_dir = Path(annotations_dir) if annotations_dir else corrections_root(None, schema)
    path = annotations_dir / USER_DIR_NAME / f"{stem}.jsonl"
    document = Document(
        f"user-{stem}",
        text,
        tuple(Span(s.start, s.end, s.label, s.text) for s in sorted(spans)),
        "user",
        {**(meta or {"saved_from": "eventslots app"}), "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
    )
    problems = [f"{span}: {message}" for span, message in check_record(document.to_json(), schema=schema)]
    if problems:
        raise EditError("Not saved; fix these first: " + "; ".join(problems))
    if path.exists():
        raise EditError(f"{path.name} already exists in annotations/{path.parent.name}; choose another name (nothing was overwritten).")
    taken = existing_ids(corpus_roots(annotations_dir) if schema == DEFAULT_SCHEMA else [annotations_dir])
    if document.id in taken:
        raise EditError(f"The id {document.id} is already used in {Path(str(taken[document.id]).split(':')[0]).name}; choose another name.")
    try:
        return write_new_file(path, [document])
    except FileExistsError:
        raise EditError(f"{path.name} already exists in annotations/{path.parent.name}; choose another name (nothing was overwritten).")
