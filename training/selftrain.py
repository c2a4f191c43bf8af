"""Self-training: a trained model labels unlabelled real news for the next training run.

A span the model is sure of (calibrated score at least ``keep``) becomes a
label; a span it is unsure of (score between ``floor`` and ``keep``) becomes an
``unsure`` region whose tokens teach nothing (``-100``, as for [CLS]), instead
of being taught as ``O``; the rest of the text is taught as ``O``. The result is
an auxiliary file (``training.corpus.auxiliary``), so it trains through ``--auxiliary``
and never enters ``annotations/``.

The texts are MUC-4 messages (FBIS, public domain) that are in no split of the
real-article corpus: held-out texts never reach training, even unlabelled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence


from .corpus.auxiliary import AUXILIARY_SOURCE
from .corpus import text_key
from .corpus.real import MUC4_CORPORA, muc4_documents

# The MUC-4 files whose messages the real-article corpus also draws from (same FBIS sources).
# TST4 is left out: all of it is in real-dev and real-test.
MUC4_UNLABELLED_FILES = ("dev/dev-muc3-*", "tst1/tst1-muc3", "tst2/tst2-muc4", "tst3/tst3-muc4")


def unlabelled_muc4(data_dir: Path, taken: Iterable, limit: int | None = None, min_chars: int = 200) -> list[tuple[str, str]]:
    """(id, text) of MUC-4 messages not in any annotated document (by id or by text), in file order."""
    taken = list(taken)
    taken_ids = {d.meta.get("origin", {}).get("id") for d in taken if isinstance(d.meta, dict)} | {d.id for d in taken}
    taken_keys = {text_key(d.text) for d in taken}
    found = []
    paths = [path for pattern in MUC4_UNLABELLED_FILES for path in sorted((data_dir / MUC4_CORPORA).glob(pattern))]
    if not paths:
        raise FileNotFoundError(f"{data_dir / MUC4_CORPORA}: MUC-4 texts not found; set EVENTSLOTS_DATA to a folder holding muc4/")
    for path in paths:
        for doc_id, text in muc4_documents(path):
            key = text_key(text)
            if doc_id in taken_ids or key in taken_keys or len(text) < min_chars:
                continue
            taken_keys.add(key)  # MUC-4 repeats some messages across its sets
            found.append((doc_id, text))
            if limit is not None and len(found) >= limit:
                return found
    return found


def pseudo_label(extractor, texts: Sequence[tuple[str, str]], keep: float = 0.7, floor: float = 0.05, batch: int = 16, progress=None) -> list[dict]:
    """Auxiliary records for ``texts``: spans scoring at least ``keep`` as labels, those in
    [``floor``, ``keep``) as unsure regions. Scores are the extractor's (calibrated where it has a calibration)."""
    if not 0.0 <= floor <= keep <= 1.0:
        raise ValueError(f"need 0 <= floor <= keep <= 1, got floor={floor}, keep={keep}")
    records = []
    for start in range(0, len(texts), batch):
        chunk = texts[start : start + batch]
        for (doc_id, text), spans in zip(chunk, extractor.predict_batch([t for _, t in chunk], min_score=0.0)):
            sure = [s for s in spans if s.score >= keep]
            unsure = [[s.start, s.end] for s in spans if floor <= s.score < keep]
            records.append(
                {
                    "id": f"selftrain-{doc_id}",
                    "source": AUXILIARY_SOURCE,
                    "text": text,
                    "spans": [{"start": s.start, "end": s.end, "label": s.label, "text": text[s.start : s.end]} for s in sure],
                    "annotated": list(extractor.schema.label_names),
                    "unsure": unsure,
                    "meta": {"origin": {"corpus": "muc4", "id": doc_id}, "pseudo_labels": {"keep": keep, "floor": floor}},
                }
            )
        if progress:
            progress(min(start + batch, len(texts)), len(texts))
    return records


def write_auxiliary(records: Sequence[dict], output: str | Path) -> Path:
    """Write an auxiliary file; an existing file is never overwritten."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "x", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return output
