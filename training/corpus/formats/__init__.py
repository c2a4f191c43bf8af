"""Interchange formats: each maps onto the canonical JSON Lines form.

Every reader returns ``(line, Document)`` pairs, the line being where the
document starts in the input, so problems found in an import point back to
the file the user gave.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Sequence

from ..documents import AnnotationError, Document, annotation_files, read_records, write_new_file
from ..loading import load_documents
from ..validation import Problem, check_record
from eventslots.model.schema import DEFAULT_SCHEMA, Schema
from . import conll, doccano, labelstudio, markup

Reader = Callable[[Path], list[tuple[int, Document]]]
Writer = Callable[[Sequence[Document]], str]

FORMATS: dict[str, tuple[Reader, Writer]] = {
    "labelstudio": (labelstudio.read, labelstudio.write),
    "doccano": (doccano.read, doccano.write),
    "conll": (conll.read, conll.write),
    "markup": (markup.read, markup.write),
}


def read_documents(path: str | Path, format: str) -> list[tuple[int, Document]]:
    """The documents of a file in ``format``; bytes that are not UTF-8 are a file:line problem, whatever the format."""
    reader, _ = FORMATS[format]
    path = Path(path)
    if path.is_dir():
        raise AnnotationError([Problem(str(path), 0, "", "", "is a directory; give the file to import")])
    try:
        return reader(path)
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise AnnotationError([Problem(str(path), line, "", "", f"not UTF-8 text (byte 0x{error.object[error.start]:02x}); save the file as UTF-8")]) from None


def existing_ids(annotation_paths: Sequence[str | Path] | None = None) -> dict[str, str]:
    """Document ids already in the corpus, with where each is."""
    ids = {}
    for path in annotation_files(annotation_paths):
        if not path.exists():
            continue
        for number, line in read_records(path):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                ids[record["id"]] = f"{path}:{number}"
    return ids


def check_documents(
    located: Sequence[tuple[int, Document]], origin: str, annotation_paths: Sequence[str | Path] | None = None,
    schema: Schema = DEFAULT_SCHEMA,
) -> list[Problem]:
    """Validate documents as if they were an annotation file, and against the corpus's ids."""
    problems: list[Problem] = []
    taken = existing_ids(annotation_paths)
    for line, document in located:
        for span, message in check_record(document.to_json(), schema=schema):
            problems.append(Problem(origin, line, document.id, span, message))
        if document.id in taken:
            problems.append(Problem(origin, line, document.id, "", f"document id already used at {taken[document.id]}"))
        taken[document.id] = f"{origin}:{line}"
    return problems


def import_annotations(
    input_path: str | Path,
    format: str,
    output: str | Path,
    source: str | None = None,
    annotation_paths: Sequence[str | Path] | None = None,
    schema: Schema = DEFAULT_SCHEMA,
) -> list[Document]:
    """Convert ``input_path`` to a new canonical file ``output``, validated first, never overwriting."""
    located = read_documents(input_path, format)
    if source is not None:
        located = [(line, Document(d.id, d.text, d.spans, source, d.meta)) for line, d in located]
    if not located:
        raise AnnotationError([Problem(str(input_path), 0, "", "", "no documents found")])
    problems = check_documents(located, str(input_path), annotation_paths, schema)
    if problems:
        raise AnnotationError(problems)
    documents = [d for _, d in located]
    write_new_file(output, documents)
    return documents


def export_annotations(format: str, paths: Sequence[str | Path] | None = None, schema: Schema = DEFAULT_SCHEMA) -> str:
    _, writer = FORMATS[format]
    return writer(load_documents(paths, schema=schema))
