"""Loading the corpus: every annotation file, validated, stand-off texts rebuilt, each text once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from eventslots.model.paths import corpus_roots
from eventslots.model.schema import DEFAULT_SCHEMA, Schema

from .documents import AnnotationError, Document, annotation_files, drop_duplicates, read_records
from .real import load_standoff
from .validation import validate_files


def load_documents(
    paths: Iterable[str | os.PathLike] | None = None, sources: Iterable[str] | None = None, schema: Schema = DEFAULT_SCHEMA
) -> list[Document]:
    """All documents of the annotation files, validated against ``schema``; raises AnnotationError listing every problem.

    Stand-off files under the folders are rebuilt from the public corpus they
    came from where a copy is found, and left out with a logged warning where not.
    """
    paths = list(paths) if paths else None
    files = annotation_files(paths)
    problems = validate_files(files, duplicates=False, schema=schema)
    if problems:
        raise AnnotationError(problems)
    documents = []
    for path in files:
        for _, line in read_records(path):
            documents.append(Document.from_json(json.loads(line)))
    documents += load_standoff([Path(p) for p in paths] if paths else corpus_roots(), {d.id for d in documents})
    wanted = set(sources) if sources else None
    return [d for d in drop_duplicates(documents) if wanted is None or d.source in wanted]
