"""Partially annotated auxiliary documents.

An auxiliary file is canonical JSON Lines with one more field per document,
``"annotated"``: the labels that source marks. Spans of other labels may be
present in the text unmarked, so training treats their absence as unknown,
not as ``O`` (see ``training.train.allowed_tags_loss``). Auxiliary documents
are only ever training data: they are not part of ``annotations/``.
"""

from __future__ import annotations

import json
from pathlib import Path

from eventslots.model.schema import LABEL_NAMES

from .corpus import SOURCES, AnnotationError, Document, read_records
from .validation import Problem, check_record

AUXILIARY_SOURCE = "auxiliary"


def load_auxiliary(path: str | Path) -> list[tuple[Document, list[str]]]:
    """(document, labels it leaves unannotated) for each line of an auxiliary file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"auxiliary data file {path} does not exist")
    documents, problems = [], []
    for number, line in read_records(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(str(path), number, "", "", f"invalid JSON: {error.msg}"))
            continue
        record_problems = check_record(record, seeds_dir=None, sources=SOURCES + (AUXILIARY_SOURCE,))
        if not isinstance(record, dict):
            problems.append(Problem(str(path), number, "", "", "a line must hold one JSON object"))
            continue
        annotated = record.get("annotated")
        if not isinstance(annotated, list) or any(label not in LABEL_NAMES for label in annotated):
            record_problems.append(("", "'annotated' must list the labels this document marks"))
        if record_problems:
            problems.extend(Problem(str(path), number, str(record.get("id", "")), s, m) for s, m in record_problems)
            continue
        missing = [label for label in LABEL_NAMES if label not in annotated]
        documents.append((Document.from_json(record), missing))
    if problems:
        raise AnnotationError(problems)
    return documents
