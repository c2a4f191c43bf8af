"""Fitting and measuring span-score calibration (the map itself is ``model.calibration``).

A span's outcome is 1 when it matches a gold span exactly (start, end and
label), else 0. Calibration error is the expected calibration error over ten
equal-width score bins: the mean gap between a bin's mean score and the
share of its spans that are right, weighted by the bin's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from eventslots.model.calibration import Calibration

from .corpus import Document

BINS = 10


def span_outcomes(documents: Sequence[Document], predicted: dict[str, list]) -> tuple[np.ndarray, np.ndarray]:
    """(scores, outcomes) over every predicted span of ``documents``."""
    scores, outcomes = [], []
    for document in documents:
        gold = {(s.start, s.end, s.label) for s in document.spans}
        for span in predicted.get(document.id, ()):
            scores.append(span.score)
            outcomes.append(float((span.start, span.end, span.label) in gold))
    return np.array(scores, dtype=float), np.array(outcomes, dtype=float)


def fit_calibration(scores: np.ndarray, outcomes: np.ndarray, fitted_on: str) -> Calibration:
    from sklearn.isotonic import IsotonicRegression

    if len(scores) < 20:
        raise ValueError(f"calibration needs at least 20 predicted spans, got {len(scores)}")
    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, outcomes)
    return Calibration(
        tuple(float(x) for x in isotonic.X_thresholds_), tuple(float(y) for y in isotonic.y_thresholds_),
        "isotonic", fitted_on, int(len(scores)),
    )


def reliability(scores: np.ndarray, outcomes: np.ndarray, bins: int = BINS) -> list[dict]:
    """Per score bin: its range, span count, mean score and share exactly right."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        members = index == b
        rows.append({
            "low": float(edges[b]), "high": float(edges[b + 1]), "spans": int(members.sum()),
            "mean_score": float(scores[members].mean()) if members.any() else None,
            "right": float(outcomes[members].mean()) if members.any() else None,
        })
    return rows


def expected_calibration_error(scores: np.ndarray, outcomes: np.ndarray, bins: int = BINS) -> float:
    if not len(scores):
        return 0.0
    return float(sum(r["spans"] * abs(r["mean_score"] - r["right"]) for r in reliability(scores, outcomes, bins) if r["spans"]) / len(scores))


def plot_reliability(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    used = [r for r in rows if r["spans"]]
    figure, axis = plt.subplots(figsize=(4.4, 4.2))
    axis.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1, label="perfectly calibrated")
    axis.plot([r["mean_score"] for r in used], [r["right"] for r in used], marker="o", color="#3b6ea8", label="spans")
    for r in used:
        axis.annotate(str(r["spans"]), (r["mean_score"], r["right"]), textcoords="offset points", xytext=(4, -10), fontsize=7)
    axis.set_xlim(0, 1), axis.set_ylim(0, 1)
    axis.set_xlabel("span score"), axis.set_ylabel("share of spans exactly right")
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


MIN_SCORES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
TRIGGER_GATES = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
# Operating points within this much strict span F1 of the best (one or two of real-dev's 1,600 gold
# spans, far inside its bootstrap interval) are equals on spans; among them the one that leaves the
# fewest no-attack documents with spans wins, since a false alarm on an irrelevant article costs an
# analyst a read that a span-level score does not count.
F1_TOLERANCE = 0.001


@dataclass(frozen=True)
class OperatingPoint:
    min_score: float
    trigger_gate: float
    f1: float
    no_attack_with_spans: int  # documents without gold spans that still get some
    no_attack: int


def operating_points(documents: Sequence[Document], calibrated: dict[str, list], calibration: Calibration, gates: bool = True) -> list[OperatingPoint]:
    """Every threshold and trigger gate (with ``gates``: a schema with a TRIGGER label), scored on ``documents``."""
    from dataclasses import replace

    from .metrics import pair_documents, span_scores

    no_attack = [d.id for d in documents if not d.spans]
    points = []
    for min_score in MIN_SCORES:
        for gate in TRIGGER_GATES if gates else (0.0,):
            chosen = replace(calibration, min_score=min_score, trigger_gate=gate)
            kept = {doc_id: chosen.select(spans) for doc_id, spans in calibrated.items()}
            f1 = span_scores(pair_documents(documents, kept))["micro"]["f1"]
            flagged = sum(1 for doc_id in no_attack if kept.get(doc_id))
            points.append(OperatingPoint(min_score, gate, f1, flagged, len(no_attack)))
    return points


def choose_operating_point(
    documents: Sequence[Document], calibrated: dict[str, list], calibration: Calibration, gates: bool = True
) -> tuple[Calibration, OperatingPoint]:
    """The span threshold and trigger gate to apply by default: within ``F1_TOLERANCE`` of the best strict
    span F1 on ``documents`` (predictions already calibrated), the one with the fewest no-attack documents
    left with spans, then the higher F1, then the gentler setting (fewer spans hidden)."""
    from dataclasses import replace

    points = operating_points(documents, calibrated, calibration, gates)
    best = max(p.f1 for p in points)
    near = [p for p in points if p.f1 >= best - F1_TOLERANCE]
    chosen = min(near, key=lambda p: (p.no_attack_with_spans, -round(p.f1, 9), p.min_score, p.trigger_gate))
    return replace(calibration, min_score=chosen.min_score, trigger_gate=chosen.trigger_gate), chosen


def fit_operating_point(documents: Sequence[Document], raw: dict[str, list], fitted_on: str, gates: bool = True) -> tuple[Calibration, OperatingPoint]:
    """Calibration fitted on ``raw`` predictions (uncalibrated spans of ``documents``), carrying the
    operating point :func:`choose_operating_point` takes on them."""
    from dataclasses import replace

    scores, outcomes = span_outcomes(documents, raw)
    calibration = fit_calibration(scores, outcomes, fitted_on)
    rescored = {doc_id: [replace(s, score=calibration(s.score)) for s in spans] for doc_id, spans in raw.items()}
    return choose_operating_point(documents, rescored, calibration, gates)


def record_operating_point(model_dir: Path, calibration: Calibration, point: OperatingPoint) -> Path:
    """The model card's account of the default threshold and trigger gate, so that a reader of the
    model directory knows why a text can come back with no spans."""
    from eventslots.model.store import write_card_section

    gate = (f"a trigger gate (a text whose best TRIGGER scores below {calibration.trigger_gate:.2f} gets no spans at all)"
            if calibration.trigger_gate else "no trigger gate")
    return write_card_section(Path(model_dir), "Operating point", "\n".join([
        f"`predict()` and the app hide spans whose calibrated score is below {calibration.min_score:.2f}, and apply {gate}. "
        f"Chosen by `eventslots calibrate` on {calibration.fitted_on}: the best strict span F1, then, within "
        f"{F1_TOLERANCE} of it, the fewest documents without an attack left with spans. "
        "`predict(text, min_score=0)` (or the app's slider) shows every span.",
        "",
        "| measure, on the fitting documents | value |",
        "|---|---|",
        f"| strict span F1 | {point.f1:.3f} |",
        f"| documents without an attack that get spans | {point.no_attack_with_spans} of {point.no_attack} |",
    ]))
