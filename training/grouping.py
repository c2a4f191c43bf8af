"""Fitting the incident grouping (``model/grouping.py``) on the gold incidents.

Every (span, trigger) pair of a training document with incident ids is one
example: positive when the two share an incident. The span states come from
the model directory's own tagger, read over the gold spans, so the scorer
learns the representation it will see at inference. A logistic regression
(scikit-learn, lbfgs: deterministic) over standardised features is stored as
``grouping.json`` beside the weights.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from eventslots.model.grouping import Layout, PairScorer, pair_features
from eventslots.model.inference import Extractor
from eventslots.model.paths import default_model_dir

from .corpus import Document, load_documents
from .corpus.real import drop_held_out

log = logging.getLogger("eventslots")

# Inverse regularisation strength, chosen on real-dev's gold spans (README, "Incident records").
DEFAULT_C = 0.1
READ_BATCH = 16


def grouped_documents(documents: Sequence[Document]) -> list[Document]:
    """Training documents whose spans carry incident ids, never a held-out one."""
    return [d for d in drop_held_out(documents) if d.spans and all(s.event for s in d.spans)]


def pair_examples(extractor: Extractor, documents: Sequence[Document], progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(features, shares an incident) over every (span, trigger) pair of the documents."""
    rows, labels = [], []
    started = last = time.monotonic()
    for begin in range(0, len(documents), READ_BATCH):
        batch = documents[begin : begin + READ_BATCH]
        readings = extractor.read_batch([d.text for d in batch], vectors=True, gold=[d.spans for d in batch])
        for document, (spans, vectors) in zip(batch, readings):
            layout = Layout.of(document.text, spans)
            for a in range(len(spans)):
                for t in layout.triggers:
                    if t != a:
                        rows.append(pair_features(spans, vectors, layout, a, t))
                        labels.append(bool(set(spans[a].event) & set(spans[t].event)))
        if progress and time.monotonic() - last >= 30:
            last = time.monotonic()
            log.info("grouping: read %d/%d documents (%.0f s)", begin + len(batch), len(documents), last - started)
    width = rows[0].shape[0] if rows else 0
    return np.stack(rows) if rows else np.zeros((0, width), np.float32), np.array(labels, dtype=bool)


def fit_scorer(features: np.ndarray, labels: np.ndarray, c: float = DEFAULT_C, fitted_on: str = "") -> PairScorer:
    from sklearn.linear_model import LogisticRegression

    if len(set(labels.tolist())) < 2:
        raise ValueError("the grouping needs documents with at least two incidents among its training data")
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((features - mean) / scale, labels)
    return PairScorer(mean.astype(np.float32), scale.astype(np.float32), model.coef_[0].astype(np.float32),
                      float(model.intercept_[0]), fitted_on)


def fit_grouping(extractor: Extractor, documents: Sequence[Document], c: float = DEFAULT_C, progress: bool = False) -> tuple[PairScorer, dict]:
    """The grouping learned from the documents' gold incidents, read by ``extractor``'s tagger."""
    documents = grouped_documents(documents)
    if not documents:
        raise ValueError("no training document has incident ids ('event' on its spans); see the spec's Incidents section")
    started = time.monotonic()
    features, labels = pair_examples(extractor, documents, progress)
    by_source: dict[str, int] = {}
    for d in documents:
        by_source[d.source] = by_source.get(d.source, 0) + 1
    fitted_on = ", ".join(f"{n} {s}" for s, n in sorted(by_source.items())) + f" documents, {len(labels)} pairs"
    scorer = fit_scorer(features, labels, c, fitted_on)
    return scorer, {"documents": len(documents), "pairs": int(len(labels)), "positive": float(labels.mean()),
                    "fitted_on": fitted_on, "seconds": time.monotonic() - started}


def train_grouping(model_dir: str | Path | None = None, annotation_paths: Sequence[str] | None = None,
                   c: float = DEFAULT_C, progress: bool = True) -> dict:
    """Fit the grouping of an existing model on the corpus's gold incidents and store it in its directory."""
    path = (Path(model_dir) if model_dir else default_model_dir()).resolve()
    extractor = Extractor.load(path, calibrated=False, backend="torch")  # fitted once, on the fp32 states
    from eventslots.model.incidents import check_incident_schema

    check_incident_schema(extractor.schema)
    scorer, stats = fit_grouping(extractor, load_documents(annotation_paths), c, progress)
    scorer.save(path)
    return {"model": str(path), **stats}
