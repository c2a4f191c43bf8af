"""doccano JSONL: ``{"text": ..., "label": [[start, end, "LABEL"], ...]}``.

Versions differ: some write ``"labels"``, and doccano 1.x sequence labelling
with relations writes ``"entities": [{"start_offset", "end_offset", "label"}]``;
all three are read. Exports use ``"label"``, plus ``id``, ``source`` and ``meta``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from eventslots.model.spans import Span

from ..documents import AnnotationError, Document
from ..validation import Problem, json_records


def _spans(record: dict, text: str) -> list[Span]:
    """The record's spans; ValueError saying what is malformed. Offsets are checked by the validator."""
    if "entities" in record:
        items = record["entities"]
        if not isinstance(items, list) or not all(isinstance(e, dict) and {"start_offset", "end_offset", "label"} <= set(e) for e in items):
            raise ValueError("'entities' must be a list of {start_offset, end_offset, label} objects")
        triples = [(e["start_offset"], e["end_offset"], e["label"]) for e in items]
    else:
        items = record.get("label", record.get("labels", []))
        if not isinstance(items, list) or not all(isinstance(i, list) and len(i) == 3 for i in items):
            raise ValueError("'label' must be a list of [start, end, LABEL] triples")
        triples = [tuple(item) for item in items]
    for start, end, label in triples:
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(label, str)):
            raise ValueError(f"span {[start, end, label]!r}: offsets must be whole numbers and the label a string")
    return [Span(start, end, label, text[start:end]) for start, end, label in triples]


def read(path: Path) -> list[tuple[int, Document]]:
    """Every record of the file; every malformed line is a file:line problem (all of them, not the first)."""
    documents, problems = [], []
    for number, record in json_records(path, problems):
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            problems.append(Problem(str(path), number, "", "", "a doccano record is a JSON object with a 'text' string"))
            continue
        text = record["text"]
        doc_id = str(record["id"]) if "id" in record else f"{path.stem}-{number}"
        try:
            spans = _spans(record, text)
        except ValueError as error:
            problems.append(Problem(str(path), number, doc_id, "", str(error)))
            continue
        meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
        documents.append((number, Document(doc_id, text, tuple(spans), record.get("source", "user"), meta)))
    if problems:
        raise AnnotationError(problems)
    return documents


def write(documents: Sequence[Document]) -> str:
    lines = []
    for document in documents:
        record = {
            "id": document.id,
            "text": document.text,
            "label": [[s.start, s.end, s.label] for s in sorted(document.spans)],
            "source": document.source,
        }
        if document.meta:
            record["meta"] = document.meta
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n"
