"""Write the committed real-article gold back out as the markup directory ``import_real.py`` reads,
so a new batch is imported beside it (the annotators' own markup files are not kept).

usage: python annotations/real/build/export_markup.py DIR

``import_real.py DIR`` then rebuilds every committed file exactly; with new batches' markup
files added to DIR (and their blind second passes to ``DIR/second/``) it adds them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eventslots.training.corpus import Document
from eventslots.training.corpus.formats import markup
from eventslots.training.corpus.real import rebuild_standoff

REAL = Path(__file__).resolve().parent.parent
AGREEMENT = REAL.parent / "agreement"


def load(folder: Path, pattern: str = "*.jsonl") -> list[Document]:
    documents = []
    for path in sorted(folder.glob(pattern)):
        if path.name.endswith(".standoff.jsonl"):
            documents += rebuild_standoff(path)
        else:
            documents += [Document.from_json(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # import_real.py sets the metadata again (and keeps what was added after import).
    return [Document(d.id, d.text, d.spans, "real", {}) for d in documents]


def main(out: Path) -> None:
    (out / "second").mkdir(parents=True, exist_ok=True)
    gold = load(REAL, "real-*.jsonl")
    second = load(AGREEMENT / "real-second-pass")
    train_first = load(AGREEMENT / "real-train-first-pass")
    # Every double-annotated document's gold is its adjudication; the first pass is kept beside it.
    adjudicated = {d.id for d in second} | {d.id for d in train_first}
    files = {
        "a-gold.markup": [d for d in gold if d.id not in adjudicated],
        "b-first.markup": load(AGREEMENT / "real-first-pass"),
        "c-train-first.markup": train_first,
        "h-second.markup": second,
        "adjudicated.markup": [d for d in gold if d.id in adjudicated],
        "second/later-second.markup": load(AGREEMENT / "real-train-second-pass"),
    }
    for name, documents in files.items():
        (out / name).write_text(markup.render(documents), encoding="utf-8")
        print(f"{out / name}: {len(documents)} documents")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
