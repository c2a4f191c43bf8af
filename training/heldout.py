"""Scoring on a real-article split: span F1 per label and per source, with bootstrap intervals.

The interval resamples documents (not spans) with replacement, since spans of
one article are not independent: 1,000 resamples, percentile 95% interval.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import numpy as np

from .calibration import expected_calibration_error, reliability, span_outcomes
from .corpus import Document
from .metrics import Scored, evaluate_documents, span_scores

BOOTSTRAP_SAMPLES = 1000


def source_family(document: Document) -> str:
    """The publisher family a real document comes from (muc4, wikievents), or its source for the others."""
    corpus = document.meta.get("origin", {}).get("corpus", "") if isinstance(document.meta, dict) else ""
    return corpus.split("-")[0] if corpus else document.source


def _counts(scored: Sequence[Scored], mode: str) -> np.ndarray:
    """Per document: matched, predicted and gold span counts (micro over labels)."""
    rows = []
    for doc in scored:
        micro = span_scores([doc], mode)["micro"]
        rows.append((micro["tp"], micro["predicted"], micro["support"]))
    return np.array(rows, dtype=float).reshape(-1, 3)


def bootstrap_interval(scored: Sequence[Scored], mode: str = "exact", samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> list[float]:
    """95% percentile interval of micro span F1 over documents resampled with replacement."""
    counts = _counts(scored, mode)
    if not len(counts):
        return [0.0, 0.0]
    f1 = _resampled_f1(counts, _resamples(len(counts), samples, seed))
    return [float(np.percentile(f1, 2.5)), float(np.percentile(f1, 97.5))]


def _resamples(documents: int, samples: int, seed: int) -> np.ndarray:
    """``samples`` rows of document indices drawn with replacement."""
    return np.random.default_rng(seed).integers(0, documents, size=(samples, documents))


def _resampled_f1(counts: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """Micro F1 of each resample (a row of ``picks``) of the per-document counts."""
    tp, predicted, gold = (counts[picks, k].sum(axis=1) for k in range(3))
    return np.where(predicted + gold > 0, 2 * tp / np.maximum(predicted + gold, 1), 0.0)


def paired_difference_interval(
    scored: Sequence[Scored], baseline: Sequence[Scored], mode: str = "exact", samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> list[float]:
    """95% percentile interval of micro span F1 of ``scored`` minus that of ``baseline``: two readings of the
    same documents (in the same order), resampled together, so what the documents share cancels out."""
    ours, theirs = _counts(scored, mode), _counts(baseline, mode)
    if len(ours) != len(theirs):
        raise ValueError(f"paired scores need the same documents ({len(ours)} against {len(theirs)})")
    if not len(ours):
        return [0.0, 0.0]
    picks = _resamples(len(ours), samples, seed)
    difference = _resampled_f1(ours, picks) - _resampled_f1(theirs, picks)
    return [float(np.percentile(difference, 2.5)), float(np.percentile(difference, 97.5))]


def evaluate_split(documents: Sequence[Document], predicted: dict[str, list], split: str) -> dict:
    """Everything ``evaluate_documents`` gives, plus intervals, per-source scores and no-attack documents."""
    scored = [Scored(d.id, d.text, tuple(d.spans), tuple(predicted.get(d.id, ()))) for d in documents]
    result = evaluate_documents(scored)
    result["split"] = split
    result["interval"] = {mode: bootstrap_interval(scored, mode) for mode in ("exact", "overlap")}
    families: dict[str, list[Scored]] = defaultdict(list)
    for document, doc in zip(documents, scored):
        families[source_family(document)].append(doc)
    result["by_source"] = {
        family: {
            "documents": len(docs),
            "exact": span_scores(docs, "exact")["micro"],
            "overlap": span_scores(docs, "overlap")["micro"],
        }
        for family, docs in sorted(families.items())
    }
    scores, outcomes = span_outcomes(documents, predicted)
    result["calibration"] = {
        "ece": expected_calibration_error(scores, outcomes),
        "reliability": reliability(scores, outcomes),
    }
    quiet = [doc for doc in scored if not doc.gold]
    result["no_attack"] = {"documents": len(quiet), "with_spans": sum(bool(doc.predicted) for doc in quiet)}
    return result


def split_summary(result: dict) -> dict:
    """One table row: exact and overlap micro F1 with intervals, and the no-attack rate."""
    no_attack = result["no_attack"]
    return {
        "exact_f1": result["exact"]["micro"]["f1"],
        "exact_interval": result["interval"]["exact"],
        "overlap_f1": result["overlap"]["micro"]["f1"],
        "precision": result["exact"]["micro"]["precision"],
        "recall": result["exact"]["micro"]["recall"],
        "no_attack_with_spans": f"{no_attack['with_spans']}/{no_attack['documents']}",
        "ece": result["calibration"]["ece"],
    }


