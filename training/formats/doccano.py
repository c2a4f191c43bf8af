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

from ..corpus import AnnotationError, Document, read_records
from ..validation import Problem


def _spans(record: dict, text: str) -> list[Span]:
    if "entities" in record:
        triples = [(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]]
    else:
        triples = [tuple(item) for item in record.get("label", record.get("labels", []))]
    return [Span(start, end, label, text[start:end]) for start, end, label in triples]


def read(path: Path) -> list[tuple[int, Document]]:
    documents = []
    for number, line in read_records(path):
        try:
            record = json.loads(line)
            text = record["text"]
            doc_id = str(record["id"]) if "id" in record else f"{path.stem}-{number}"
            spans = _spans(record, text)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise AnnotationError([Problem(str(path), number, "", "", f"not a doccano record: {error!r}")])
        meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
        documents.append((number, Document(doc_id, text, tuple(spans), record.get("source", "user"), meta)))
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
