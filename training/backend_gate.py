"""The gate a model's int8 graph passes before it becomes that model's default backend.

Measured per model, since quantisation moves each model's spans differently:
exact-span agreement of the int8 backend with fp32 torch on the seed articles
and on real-dev (the split that chooses settings), real-dev strict span F1 of
both, and the calibration error of the int8 backend's calibrated scores on
real-dev. ``eventslots calibrate`` runs it after fitting the calibration and
stores the result in the model directory (``model.store.GATE_FILE``, read by
``model.backends.default_backend``) and in its model card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from eventslots.model.backends import GATE, GATED_BACKEND
from eventslots.model.inference import Extractor
from eventslots.model.store import GATE_FILE, write_card_section, write_fitted_file

from .calibration import expected_calibration_error, span_outcomes
from .corpus import Document
from .metrics import Scored, span_scores


def exact_agreement(texts: Sequence[str], reference: Sequence[Sequence], other: Sequence[Sequence]) -> float:
    """Micro F1 of ``other``'s spans scored against ``reference``'s (1.0 when they are the same)."""
    scored = [Scored(str(i), t, tuple(a), tuple(b)) for i, (t, a, b) in enumerate(zip(texts, reference, other))]
    return span_scores(scored, "exact")["micro"]["f1"]


def strict_f1(documents: Sequence[Document], predicted: Sequence[Sequence]) -> float:
    scored = [Scored(d.id, d.text, tuple(d.spans), tuple(p)) for d, p in zip(documents, predicted)]
    return span_scores(scored, "exact")["micro"]["f1"]


def measure_gate(path: Path, seeds: Sequence[Document], dev: Sequence[Document]) -> dict:
    torch_reader = Extractor.load(path, backend="torch")
    int8_reader = Extractor.load(path, backend=GATED_BACKEND)
    result = {"backend": GATED_BACKEND, "thresholds": GATE, "documents": {"seeds": len(seeds), "real-dev": len(dev)}}
    for name, documents in (("seeds", seeds), ("real-dev", dev)):
        texts = [d.text for d in documents]
        reference, quantised = torch_reader.predict_batch(texts), int8_reader.predict_batch(texts)
        result[f"agreement_{name}"] = exact_agreement(texts, reference, quantised)
        if name == "real-dev":
            result["f1_torch"], result["f1_int8"] = strict_f1(documents, reference), strict_f1(documents, quantised)
            every = int8_reader.predict_batch(texts, min_score=0)
            result["ece_int8"] = expected_calibration_error(*span_outcomes(documents, {d.id: s for d, s in zip(documents, every)}))
    result["passed"] = bool(
        min(result["agreement_seeds"], result["agreement_real-dev"]) >= GATE["agreement"]
        and result["f1_torch"] - result["f1_int8"] <= GATE["f1_drop"]
        and result["ece_int8"] <= GATE["ece"]
    )
    return result


def record_gate(path: Path, result: dict) -> None:
    write_fitted_file(path, GATE_FILE, result, indent=1)
    verdict = "passed: it is this model's default backend" if result["passed"] else "failed: this model's default backend is fp32 ONNX"
    write_card_section(path, "Backend gate", "\n".join([
        f"The int8 graph ({GATED_BACKEND}) {verdict} (thresholds: agreement at least {GATE['agreement']}, "
        f"real-dev F1 at most {GATE['f1_drop']} below fp32 torch, calibration error at most {GATE['ece']}; "
        "measured by `eventslots calibrate`).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| exact-span agreement with fp32 torch, seeds | {result['agreement_seeds']:.3f} |",
        f"| exact-span agreement with fp32 torch, real-dev | {result['agreement_real-dev']:.3f} |",
        f"| real-dev strict F1, fp32 torch / int8 | {result['f1_torch']:.3f} / {result['f1_int8']:.3f} |",
        f"| real-dev calibration error of int8 scores | {result['ece_int8']:.3f} |",
    ]))
