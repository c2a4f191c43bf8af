"""Calibrated span confidence: a monotone map from the tagger's raw span score to the probability
that the span is exactly right (same start, end and label as a careful annotator's).

The map is fitted by isotonic regression on predictions for documents the
model never trained on (``eventslots calibrate``; see
``training.calibration``) and stored in the model directory as
``calibration.json``; inference only interpolates it, so it needs no fitting
library.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .store import CALIBRATION_FILE, write_fitted_file


@dataclass(frozen=True)
class Calibration:
    raw: tuple[float, ...]  # raw span scores (increasing) ...
    probability: tuple[float, ...]  # ... and the probability of being exactly right at each
    method: str = "isotonic"
    fitted_on: str = ""
    spans: int = 0
    # Chosen on the same held-out split for strict span F1, then fewest no-attack texts with spans (training.calibration):
    min_score: float = 0.0  # spans scoring below are left out by default
    trigger_gate: float = 0.0  # a text whose best TRIGGER scores below this gets no spans at all
    exact_f1: float | None = None  # strict span F1 on the fitting split at that operating point

    def __call__(self, score: float) -> float:
        return float(np.interp(score, self.raw, self.probability))

    def select(self, spans: list, min_score: float | None = None) -> list:
        """The spans kept. With ``min_score`` given, those scoring at least that. Otherwise the
        calibration's own choice: none where no trigger reaches the gate, else those at its threshold."""
        if min_score is not None:
            return [s for s in spans if s.score >= min_score]
        if self.trigger_gate > 0 and not any(s.label == "TRIGGER" and s.score >= self.trigger_gate for s in spans):
            return []
        return [s for s in spans if s.score >= self.min_score]

    @classmethod
    def load(cls, model_dir: Path) -> "Calibration | None":
        path = Path(model_dir) / CALIBRATION_FILE
        if not path.exists():
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(record["raw"]), tuple(record["probability"]), record.get("method", "isotonic"),
                   record.get("fitted_on", ""), record.get("spans", 0), record.get("min_score", 0.0),
                   record.get("trigger_gate", 0.0), record.get("exact_f1"))

    def save(self, model_dir: Path) -> Path:
        return write_fitted_file(model_dir, CALIBRATION_FILE, asdict(self), indent=1)
