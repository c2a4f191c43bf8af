"""Documents in the canonical JSON Lines form, and the files that hold them.

One JSON object per line::

    {"id": "...", "text": "...", "source": "seed|authored|real|user",
     "spans": [{"start": 0, "end": 5, "label": "WEAPON", "text": "drone"}],
     "meta": {...}}

Every ``*.jsonl`` file under ``annotations/`` is part of the corpus, so a new
document is added as a new file without touching the existing ones.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from eventslots.model.paths import corpus_roots
from eventslots.model.spans import Span, event_ids, event_json

# seed: the five seed articles; authored: texts written for this project; real:
# published articles annotated here (annotations/real/, never written by us);
# user: what a user adds.
SOURCES = ("seed", "authored", "real", "user")
# The real-article splits never trained on (see corpus.real).
HELD_OUT_SPLITS = ("real-dev", "real-test")


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    spans: tuple[Span, ...]
    source: str = "user"
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict:
        record: dict = {"id": self.id, "source": self.source, "text": self.text}
        record["spans"] = [
            {"start": s.start, "end": s.end, "label": s.label, "text": s.text, **({"event": event_json(s.event)} if s.event else {})}
            for s in sorted(self.spans)
        ]
        if self.meta:
            record["meta"] = self.meta
        return record

    @classmethod
    def from_json(cls, record: dict) -> "Document":
        """Build from an already validated record (see ``training.corpus.validation``)."""
        text = record["text"]
        spans = tuple(
            sorted(
                Span(s["start"], s["end"], s["label"], text[s["start"] : s["end"]], event=event_ids(s.get("event")))
                for s in record["spans"]
            )
        )
        return cls(record["id"], text, spans, record.get("source", "user"), record.get("meta") or {})


class AnnotationError(ValueError):
    """Annotation data that breaks the format or the span rules; lists every problem."""

    def __init__(self, problems: Sequence[object]):
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:50])
        more = f"\n... and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{len(self.problems)} annotation problem(s):\n{shown}{more}")


# Annotations of texts we may not ship (offsets and a text hash; see training.corpus.real).
STANDOFF_SUFFIX = ".standoff.jsonl"
# Second annotations kept to measure agreement: they repeat corpus ids, so
# they are never part of the training corpus.
AGREEMENT_DIR = "agreement"


def annotation_files(paths: Iterable[str | os.PathLike] | None = None) -> list[Path]:
    """The ``*.jsonl`` files named, or found under the folders named (default: the shipped corpus and the workspace's ``annotations/``).

    Hidden files, the ``agreement/`` folder and stand-off files (read by
    :func:`load_documents`) are skipped when searching folders.
    """
    roots = [Path(p) for p in paths] if paths else corpus_roots()
    files: list[Path] = []
    for root in roots:
        if not root.is_dir():
            files.append(root)
            continue
        for path in sorted(root.rglob("*.jsonl")):
            parts = path.relative_to(root).parts
            if (
                not any(part.startswith(".") or part == AGREEMENT_DIR for part in parts[:-1])
                and not parts[-1].startswith(".")
                and not parts[-1].endswith(STANDOFF_SUFFIX)
            ):
                files.append(path)
    return files


def read_records(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, raw line) for each non-blank line of a JSON Lines file."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def text_key(text: str) -> str:
    """Identity of a text: case and spacing do not make a new document."""
    return hashlib.sha256(" ".join(text.lower().split()).encode("utf-8", "surrogatepass")).hexdigest()


def drop_duplicates(documents: Sequence[Document]) -> list[Document]:
    """Each text once (the first seen; a held-out real document wins over any copy), so nothing is
    trained on or scored twice; what is dropped is logged (``annotations validate`` reports it)."""
    import logging

    kept: dict[str, Document] = {}
    dropped = []
    for document in documents:
        key = text_key(document.text)
        if key not in kept:
            kept[key] = document
            continue
        first = kept[key]
        if (document.meta or {}).get("split") in HELD_OUT_SPLITS and (first.meta or {}).get("split") not in HELD_OUT_SPLITS:
            kept[key], document = document, first
        dropped.append(f"{document.id} (same text as {kept[key].id})")
    if dropped:
        logging.getLogger("eventslots").warning("counted once, not twice: %s", "; ".join(dropped))
    return list(kept.values())


def dumps(document: Document) -> str:
    return json.dumps(document.to_json(), ensure_ascii=False)


def write_new_file(path: str | os.PathLike, documents: Sequence[Document]) -> Path:
    """Write documents to a file that must not exist yet; never overwrites annotation data.

    The file is written under a temporary name and linked into place, so a
    crash never leaves a half-written annotation file behind.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; annotations are never overwritten. Choose another name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temporary, "w", encoding="utf-8") as handle:
        for document in documents:
            handle.write(dumps(document) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:
        # os.link fails if the name was taken meanwhile, unlike os.replace.
        os.link(temporary, path)
    except FileExistsError:
        raise FileExistsError(f"{path} already exists; annotations are never overwritten. Choose another name.")
    finally:
        temporary.unlink()
    return path


def corpus_hash(documents: Sequence[Document]) -> str:
    """SHA-256 over the canonical form of the documents, independent of file layout and order."""
    digest = hashlib.sha256()
    for line in sorted(dumps(d) for d in documents):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
