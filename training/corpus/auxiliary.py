"""Partially annotated auxiliary documents.

An auxiliary file is canonical JSON Lines with one more field per document,
``"annotated"``: the labels that source marks. Spans of other labels may be
present in the text unmarked, so training treats their absence as unknown,
not as ``O`` (see ``training.train.allowed_tags_loss``). An optional
``"unsure"`` field lists ``[start, end]`` character ranges whose tokens teach
nothing at all (self-training's low-confidence spans). Auxiliary documents
are only ever training data: they are not part of ``annotations/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from eventslots.model.schema import DEFAULT_SCHEMA, Schema

from .documents import SOURCES, AnnotationError, Document
from .validation import Problem, check_record, json_records

AUXILIARY_SOURCE = "auxiliary"


class Partial(NamedTuple):
    """A partially labelled training document."""

    document: Document
    unannotated: list[str]  # labels whose absence says nothing (not taught as O)
    unsure: list[tuple[int, int]] = []  # character ranges that teach nothing


def load_auxiliary(path: str | Path, schema: Schema = DEFAULT_SCHEMA) -> list[Partial]:
    """The partially labelled document of each line of an auxiliary file, its labels ``schema``'s."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"auxiliary data file {path} does not exist")
    documents, problems = [], []
    for number, record in json_records(path, problems):
        record_problems = check_record(record, seeds_dir=None, sources=SOURCES + (AUXILIARY_SOURCE,), schema=schema)
        if not isinstance(record, dict):
            problems.append(Problem(str(path), number, "", "", "a line must hold one JSON object"))
            continue
        annotated = record.get("annotated")
        if not isinstance(annotated, list) or any(label not in schema.label_names for label in annotated):
            record_problems.append(("", "'annotated' must list the labels this document marks"))
        unsure = record.get("unsure", [])
        text_length = len(record.get("text", "")) if isinstance(record.get("text"), str) else 0
        if not isinstance(unsure, list) or not all(
            isinstance(r, list) and len(r) == 2 and all(isinstance(x, int) for x in r) and 0 <= r[0] < r[1] <= text_length
            for r in unsure
        ):
            record_problems.append(("", "'unsure' must list [start, end] character ranges inside the text"))
        if record_problems:
            problems.extend(Problem(str(path), number, str(record.get("id", "")), s, m) for s, m in record_problems)
            continue
        missing = [label for label in schema.label_names if label not in annotated]
        documents.append(Partial(Document.from_json(record), missing, [tuple(r) for r in unsure]))
    if problems:
        raise AnnotationError(problems)
    return documents
