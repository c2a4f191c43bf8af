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
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True)
class Calibration:
    raw: tuple[float, ...]  # raw span scores (increasing) ...
    probability: tuple[float, ...]  # ... and the probability of being exactly right at each
    method: str = "isotonic"
    fitted_on: str = ""
    spans: int = 0

    def __call__(self, score: float) -> float:
        return float(np.interp(score, self.raw, self.probability))

    @classmethod
    def load(cls, model_dir: Path) -> "Calibration | None":
        path = Path(model_dir) / CALIBRATION_FILE
        if not path.exists():
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(record["raw"]), tuple(record["probability"]), record.get("method", "isotonic"),
                   record.get("fitted_on", ""), record.get("spans", 0))

    def save(self, model_dir: Path) -> Path:
        """Written beside the weights under a temporary name, then renamed: never half a file."""
        path = Path(model_dir) / CALIBRATION_FILE
        temporary = path.with_name(f".{CALIBRATION_FILE}.tmp-{os.getpid()}")
        temporary.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        os.replace(temporary, path)
        return path
