"""The real-article corpus: published news we did not write, and its fixed splits.

Documents come from the public corpora named by ``origin`` (MUC-4's FBIS
texts, WikiEvents' news articles) and keep the split they were given once,
by document and balanced by source (``meta.split``):

- ``real-test``: scored for the README, never used to choose anything;
- ``real-dev``: for choosing settings;
- ``real-train``: training data (public-domain text only).

Training and cross-validation never see real-dev or real-test:
:func:`drop_held_out` removes them, and any other document with the same text,
whatever file it comes from.

Public-domain texts (FBIS, VOA) are stored whole. The other publishers' texts
are not ours to ship: their files (``*.standoff.jsonl``) keep offsets, labels
and a SHA-256 of the text, and :func:`rebuild_standoff` rebuilds the text from
a WikiEvents copy (``$EVENTSLOTS_DATA/wikievents`` or ``shared/data``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Iterator, Sequence

from eventslots.model.paths import CORPUS_DIR, shared_data_dir

from .documents import AGREEMENT_DIR, HELD_OUT_SPLITS, STANDOFF_SUFFIX, AnnotationError, Document, read_records, text_key
from .validation import Problem, check_record

REAL_DIR = CORPUS_DIR / "real"
SPLITS = ("real-train", "real-dev", "real-test")

MUC4_CORPORA = "muc4/raw_muc34/TASK/CORPORA"
MUC4_DOCUMENT = re.compile(r"^((?:DEV-MUC3|TST1-MUC3|TST2-MUC4|TST3-MUC4|TST4-MUC4)-\d{4})\b.*$", re.M)
EDITORS_NOTE = re.compile(r"\[[^\]]*\]")
# Publishers whose WikiEvents articles are public domain (US government works) and may be stored whole.
PUBLIC_DOMAIN_WIKIEVENTS = re.compile(r"_VOA_")
log = logging.getLogger("eventslots")


def split_of(document: Document) -> str | None:
    return document.meta.get("split") if isinstance(document.meta, dict) else None


def shipped_held_out() -> tuple[set[str], set[str]]:
    """Identities of the shipped real-dev and real-test texts: normalised keys of the texts stored whole,
    exact SHA-256s of the stand-off ones (readable without their source)."""
    keys, hashes = set(), set()
    for path in sorted(REAL_DIR.glob("*.jsonl")):
        for _, line in read_records(path):
            record = json.loads(line)
            if record.get("meta", {}).get("split") not in HELD_OUT_SPLITS:
                continue
            if path.name.endswith(STANDOFF_SUFFIX):
                hashes.add(record["sha256"])
            else:
                keys.add(text_key(record["text"]))
    return keys, hashes


def drop_held_out(documents: Sequence[Document]) -> list[Document]:
    """``documents`` without real-dev and real-test, and without any copy of their texts under another
    id or file (case and spacing aside), so nothing held out is ever trained on."""
    keys, hashes = shipped_held_out()
    keys |= {text_key(d.text) for d in documents if split_of(d) in HELD_OUT_SPLITS}
    kept, copies = [], []
    for d in documents:
        if split_of(d) in HELD_OUT_SPLITS:
            continue
        if text_key(d.text) in keys or text_sha256(d.text) in hashes:
            copies.append(d.id)
        else:
            kept.append(d)
    if copies:
        log.warning("not trained on %d document(s) whose text is a real-dev or real-test document: %s", len(copies), ", ".join(copies))
    return kept


def split_documents(documents: Sequence[Document], split: str) -> list[Document]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return [d for d in documents if split_of(d) == split]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- texts from the public corpora --------------------------------------------------------------


def clean_muc(body: str) -> str:
    """A MUC-4 message body as running text: editors' bracketed notes dropped, wrapped lines joined,
    paragraphs kept (separated by a blank line)."""
    body = EDITORS_NOTE.sub(" ", body)
    paragraphs = [" ".join(line.strip() for line in p.splitlines() if line.strip()) for p in re.split(r"\n\s*\n", body)]
    paragraphs = [re.sub(r" ([,.;:])", r"\1", re.sub(r"\s+", " ", p).strip()) for p in paragraphs]
    return "\n\n".join(p for p in paragraphs if p)


def muc4_documents(path: Path) -> Iterator[tuple[str, str]]:
    """(document id, text) for each message of a MUC-4 raw text file."""
    raw = Path(path).read_text(encoding="latin-1")
    heads = list(MUC4_DOCUMENT.finditer(raw))
    for i, head in enumerate(heads):
        body = raw[head.end() : heads[i + 1].start() if i + 1 < len(heads) else len(raw)]
        yield head.group(1), clean_muc(body)


def wikievents_text(record: dict) -> str:
    """A WikiEvents document as one line: its sentences joined by single spaces (the headline runs into the first)."""
    return " ".join(sentence[1].strip() for sentence in record["sentences"])


def wikievents_texts(data_dir: Path) -> dict[str, str]:
    texts = {}
    for split in ("dev", "test"):
        with open(data_dir / "wikievents" / f"{split}.jsonl", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                texts[record["doc_id"]] = wikievents_text(record)
    return texts


# --- stand-off files -------------------------------------------------------------------------------


def to_standoff(document: Document) -> dict:
    """The record of a document whose text may not be shipped: everything but the text, plus its hash."""
    record = document.to_json()
    text = record.pop("text")
    for span in record["spans"]:
        span.pop("text")
    return {"id": record["id"], "source": record["source"], "sha256": text_sha256(text), "length": len(text),
            "spans": record["spans"], "meta": record.get("meta", {})}


def standoff_files(roots: Sequence[Path]) -> list[Path]:
    """The stand-off files named, or found under the folders named."""
    found: list[Path] = []
    for root in roots:
        root = Path(root)
        if root.is_dir():
            found += sorted(
                p for p in root.rglob(f"*{STANDOFF_SUFFIX}")
                if not any(part.startswith(".") or part == AGREEMENT_DIR for part in p.relative_to(root).parts)
            )
        elif root.name.endswith(STANDOFF_SUFFIX):
            found.append(root)
    return found


def load_standoff(roots: Sequence[Path], taken_ids: set[str] = frozenset()) -> list[Document]:
    """The rebuilt documents of every stand-off file under ``roots``; those whose source text is
    missing are left out with a warning naming what to set."""
    documents: list[Document] = []
    for path in standoff_files(roots):
        try:
            rebuilt = rebuild_standoff(path)
        except FileNotFoundError as error:
            log.warning("left out %d document(s): %s", len(read_standoff(path)), error)
            continue
        repeated = [d.id for d in rebuilt if d.id in taken_ids]
        if repeated:
            raise AnnotationError([f"{path}: duplicate document id {i} (also in another annotation file)" for i in repeated])
        documents += rebuilt
    return documents


def standoff_records(roots: Sequence[Path]) -> list[dict]:
    """The stand-off records themselves (no text needed), to count what a missing source leaves out."""
    return [record for path in standoff_files(roots) for _, record in read_standoff(path)]


def read_standoff(path: Path) -> list[tuple[int, dict]]:
    return [(number, json.loads(line)) for number, line in read_records(path)]


def rebuild_standoff(path: Path, data_dir: Path | None = None) -> list[Document]:
    """The documents of a stand-off file with their texts rebuilt from WikiEvents.

    Raises FileNotFoundError when no WikiEvents copy is found and
    AnnotationError (file:line) when a text differs from the one annotated.
    """
    data_dir = data_dir or shared_data_dir()
    if data_dir is None or not (data_dir / "wikievents").is_dir():
        raise FileNotFoundError(
            f"{path}: its texts come from WikiEvents, and no copy was found; "
            "set EVENTSLOTS_DATA to a folder holding wikievents/dev.jsonl and test.jsonl"
        )
    texts = wikievents_texts(data_dir)
    documents, problems = [], []
    for number, record in read_standoff(path):
        origin = record.get("meta", {}).get("origin", {})
        text = texts.get(origin.get("id", ""))
        if text is None or text_sha256(text) != record.get("sha256"):
            why = "is not in" if text is None else "differs from the annotated text (SHA-256) in"
            problems.append(Problem(str(path), number, record.get("id", ""), "", f"document {origin.get('id')!r} {why} {data_dir / 'wikievents'}"))
            continue
        full = {**record, "text": text}
        full.pop("sha256"), full.pop("length")
        for span, message in check_record(full, seeds_dir=None):
            problems.append(Problem(str(path), number, record.get("id", ""), span, message))
        documents.append(Document.from_json(full))
    if problems:
        raise AnnotationError(problems)
    return documents
