"""Build annotations/real/ from the annotators' markup files (run once per new batch of annotation).

usage: python annotations/real/build/import_real.py MARKUP_DIR

MARKUP_DIR holds the first passes (``[a-g]-*.markup``, later batches
``[i-z]-*.markup``), the blind second pass (``h-second.markup``) and its
adjudication (``adjudicated.markup``), in the markup format with incident
ids; ``second/*.markup`` holds later batches' blind second passes, stored for
agreement beside their first pass (``annotations/agreement/real-train-*``).
``export_markup.py`` writes the committed gold back out in this form, so a new
batch is imported beside what is already there. Every text is checked against the public corpus it came from, rebuilt by
``eventslots.training.corpus.real``; splits are assigned here, once, and kept.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

from eventslots.model.paths import shared_data_dir
from eventslots.model.spans import Span
from eventslots.training.corpus import Document, dumps
from eventslots.training.corpus.formats import markup
from eventslots.training.corpus.real import MUC4_CORPORA, PUBLIC_DOMAIN_WIKIEVENTS, muc4_documents, to_standoff, wikievents_texts
from eventslots.training.corpus.validation import incidents_by_first_mention

REAL = Path(__file__).resolve().parent.parent
AGREEMENT = REAL.parent / "agreement"
SPLIT_FILE = REAL / "build" / "splits.json"
# The spec keeps "at least" inside a casualty or count phrase; one batch's checker wrongly pushed it out.
AT_LEAST = re.compile(r"(?i)at least $")


def origin_corpus(doc_id: str) -> str:
    for prefix, corpus in (("TST4-MUC4", "muc4-tst4"), ("DEV-MUC3", "muc4-dev"), ("TST1-MUC3", "muc4-tst1"),
                           ("TST2-MUC4", "muc4-tst2"), ("TST3-MUC4", "muc4-tst3")):
        if doc_id.startswith(prefix):
            return corpus
    return "wikievents"


def source_texts() -> dict[str, str]:
    data = shared_data_dir()
    corpora = data / MUC4_CORPORA
    texts = wikievents_texts(data)
    files = [corpora / "tst4/tst4-muc4.mixed-case", corpora / "tst1/tst1-muc3", corpora / "tst2/tst2-muc4", corpora / "tst3/tst3-muc4"]
    for path in files + sorted((corpora / "dev").glob("dev-muc3-*")):
        texts.update(muc4_documents(path))
    return texts


def wikievents_split(data: Path) -> dict[str, str]:
    found = {}
    for split in ("dev", "test"):
        for line in open(data / "wikievents" / f"{split}.jsonl", encoding="utf-8"):
            found[json.loads(line)["doc_id"]] = f"wikievents-{split}"
    return found


def tidy(document: Document) -> Document:
    spans = []
    for span in document.spans:
        start = span.start
        if AT_LEAST.search(document.text[max(0, start - 9) : start]):
            start -= 9
        if document.text[start : span.end].lower().startswith("a few "):  # spec rule 2: no leading determiner
            start += 2
        spans.append(Span(start, span.end, span.label, document.text[start : span.end], event=span.event))
    # The spec numbers incidents by first mention; an annotator's other numbering keeps its grouping.
    number = {event: i for i, event in enumerate(incidents_by_first_mention(s.event for s in sorted(spans)), 1)}
    spans = [Span(s.start, s.end, s.label, s.text, event=tuple(sorted(number[e] for e in s.event)) if s.event else s.event) for s in spans]
    return Document(document.id, document.text, tuple(sorted(spans)), "real", {})


def assign_splits(documents: list[Document], previous: dict[str, str]) -> dict[str, str]:
    """Held-out splits by document, balanced by source and by attack/no-attack; fixed once (previous wins)."""
    splits = dict(previous)
    groups: dict[tuple, list[Document]] = {}
    for d in documents:
        if d.id in splits:
            continue
        corpus = origin_corpus(d.id)
        if corpus in ("muc4-tst4", "wikievents"):
            groups.setdefault((corpus, bool(d.spans)), []).append(d)
        else:
            splits[d.id] = "real-train"
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda d: hashlib.sha256(d.id.encode()).hexdigest())
        for i, d in enumerate(ordered):
            splits[d.id] = ("real-dev", "real-test")[i % 2]
    return splits


def with_meta(document: Document, split: str, corpus: str, added: dict | None = None) -> Document:
    meta = {"origin": {"corpus": corpus, "id": document.id}, "split": split, **(added or {})}
    return Document(document.id, document.text, document.spans, "real", meta)


def added_meta() -> dict[str, dict]:
    """What was added to the committed documents after their import (the gold incident values,
    ``published``), by id, so that importing a new batch keeps it."""
    found = {}
    for path in REAL.glob("real-*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            found[record["id"]] = {k: v for k, v in (record.get("meta") or {}).items() if k not in ("origin", "split")}
    return found


def write_jsonl(path: Path, documents: list[Document]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(dumps(d) + "\n" for d in documents), encoding="utf-8")


def write_standoff(path: Path, documents: list[Document]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(to_standoff(d), ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")


def write_split_files(folder: Path, stem: str, documents: list[Document]) -> None:
    """Public-domain texts whole; other publishers' as stand-off."""
    public = [d for d in documents if d.meta["origin"]["corpus"].startswith("muc4") or PUBLIC_DOMAIN_WIKIEVENTS.search(d.id)]
    others = [d for d in documents if d not in public]
    write_jsonl(folder / f"{stem}.jsonl", public)
    if others:
        write_standoff(folder / f"{stem}.standoff.jsonl", others)


def main(markup_dir: Path) -> None:
    texts = source_texts()
    we_split = wikievents_split(shared_data_dir())
    first = {}
    for path in sorted(markup_dir.glob("*.markup")):
        if path.stem in ("h-second", "adjudicated"):
            continue
        for _, document in markup.read(path):
            first[document.id] = tidy(document)
    second = {d.id: tidy(d) for _, d in markup.read(markup_dir / "h-second.markup")}
    adjudicated_path = markup_dir / "adjudicated.markup"
    adjudicated = {d.id: tidy(d) for _, d in markup.read(adjudicated_path)} if adjudicated_path.exists() else {}
    for document in [*first.values(), *second.values(), *adjudicated.values()]:
        if texts.get(document.id) != document.text:
            sys.exit(f"{document.id}: text differs from the source corpus")
    gold = {**first, **adjudicated}
    previous = json.loads(SPLIT_FILE.read_text()) if SPLIT_FILE.exists() else {}
    splits = assign_splits(list(gold.values()), previous)
    SPLIT_FILE.write_text(json.dumps(dict(sorted(splits.items())), indent=0) + "\n")

    def corpus_of(doc_id: str) -> str:
        return we_split[doc_id] if doc_id in we_split else origin_corpus(doc_id)

    added = added_meta()
    for split in ("real-train", "real-dev", "real-test"):
        documents = [with_meta(d, split, corpus_of(d.id), added.get(d.id)) for d in sorted(gold.values(), key=lambda d: d.id) if splits[d.id] == split]
        write_split_files(REAL, split, documents)
        print(split, len(documents), "documents", Counter(d.meta["origin"]["corpus"] for d in documents),
              sum(len(d.spans) for d in documents), "spans", sum(not d.spans for d in documents), "without an attack")
    for name, passes in (("real-first-pass", first), ("real-second-pass", second)):
        documents = [with_meta(passes[i], splits[i], corpus_of(i)) for i in sorted(second)]
        write_split_files(AGREEMENT / name, name, documents)
    # Later batches' blind second passes (MARKUP_DIR/second/*.markup), measured against the first pass,
    # which stays the gold of those real-train documents.
    later = {d.id: tidy(d) for path in sorted((markup_dir / "second").glob("*.markup")) for _, d in markup.read(path)}
    for document in later.values():
        if texts.get(document.id) != document.text or splits.get(document.id) != "real-train":
            sys.exit(f"{document.id}: a later second pass must be of an imported real-train document, same text")
    if later:
        for name, passes in (("real-train-first-pass", first), ("real-train-second-pass", later)):
            write_split_files(AGREEMENT / name, name, [with_meta(passes[i], splits[i], corpus_of(i)) for i in sorted(later)])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
