"""Favouring spans in decoding: the weight of O (``Extractor.outside_weight``) against real-dev.

A weight below 1 scales the O tag's probability down before Viterbi decoding,
so more tokens open spans: recall for precision (MUC-4's scoring chose 0.1,
README "MUC-4 beside the published systems"). For each weight this reads
real-dev with the model's fp32 weights and reports strict span F1 three ways:
raw (every decoded span); calibrated with threshold and trigger gate fitted
on all of real-dev (in-sample, as ``eventslots calibrate`` does, so
optimistic); and the same fitted on half of real-dev's articles and applied
to the other half, both ways round, averaged over five random halvings (an
honest figure for comparing the weights).

Usage::

    python benchmarks/outside_weight.py [--model models/default] [--weights 1,0.7,0.5,0.3,0.1]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from eventslots.model.inference import Extractor
from eventslots.training.calibration import fit_operating_point
from eventslots.training.corpus import load_documents
from eventslots.training.corpus.real import split_documents
from eventslots.training.evaluate import predict_documents
from eventslots.training.metrics import pair_documents, span_scores

RESULTS = Path(__file__).resolve().parent / "results"
HALVINGS = 5


def cross_fitted_f1(documents, raw: dict, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(HALVINGS):
        order = rng.permutation(len(documents))
        halves = [[documents[i] for i in order[k::2]] for k in (0, 1)]
        kept = {}
        for fit, apply in (halves, halves[::-1]):
            chosen, _ = fit_operating_point(fit, {d.id: raw[d.id] for d in fit}, "half of real-dev")
            for d in apply:
                kept[d.id] = chosen.select([replace(s, score=chosen(s.score)) for s in raw[d.id]])
        results.append(span_scores(pair_documents(documents, kept))["micro"]["f1"])
    return float(np.mean(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--weights", default="1,0.7,0.5,0.3,0.1")
    args = parser.parse_args()
    dev = split_documents(load_documents(), "real-dev")
    rows = []
    for weight in (float(w) for w in args.weights.split(",")):
        extractor = Extractor.load(args.model, calibrated=False, backend="torch", outside_weight=weight)
        raw = predict_documents(extractor.predict_batch, dev)
        plain = span_scores(pair_documents(dev, raw))["micro"]
        chosen, point = fit_operating_point(dev, raw, "real-dev")
        row = {"outside_weight": weight, "raw_precision": plain["precision"], "raw_recall": plain["recall"], "raw_f1": plain["f1"],
               "in_sample_f1": point.f1, "min_score": chosen.min_score, "trigger_gate": chosen.trigger_gate,
               "cross_fitted_f1": cross_fitted_f1(dev, raw)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    lines = ["| O weight | raw precision | raw recall | raw strict F1 | calibrated, in-sample | calibrated, cross-fitted halves |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['outside_weight']} | {r['raw_precision']:.3f} | {r['raw_recall']:.3f} | {r['raw_f1']:.3f} | "
              f"{r['in_sample_f1']:.3f} ({r['min_score']:.2f}, gate {r['trigger_gate']:.2f}) | {r['cross_fitted_f1']:.3f} |" for r in rows]
    (RESULTS / "outside-weight-real-dev.json").write_text(json.dumps({"model": str(Path(args.model).resolve()), "rows": rows}, indent=1) + "\n")
    (RESULTS / "outside-weight-real-dev.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
