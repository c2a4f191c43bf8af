"""Peer baselines on the leave-one-seed-out folds, scored by the same evaluation code as the transformer.

The peers themselves live in ``eventslots.training.peers``; on the real-article
splits, ``eventslots evaluate --split real-dev --peers`` scores them.

    python benchmarks/baselines.py            # writes benchmarks/results/baselines.json
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from eventslots.training.config import TrainingConfig
from eventslots.training.corpus import load_documents
from eventslots.training.evaluate import crossval
from eventslots.training.peers import PEERS

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    documents = load_documents()
    config = TrainingConfig()
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, peer in PEERS.items():
        started = time.perf_counter()
        report = crossval(documents, config, fit_predictor=lambda docs: peer(docs).predict_batch, progress=False)
        results[name] = {
            "mean": report["mean"],
            "pooled_per_label_f1": {l: v["f1"] for l, v in report["pooled"]["seqeval"]["per_label"].items()},
            "pooled_micro_f1": report["pooled"]["seqeval"]["micro"]["f1"],
            "data_hash": report["data_hash"],
            "seconds": time.perf_counter() - started,
        }
        print(f"{name}: mean seqeval micro F1 {report['mean']['seqeval_micro_f1']:.3f}", flush=True)
    (RESULTS / "baselines.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    from eventslots.cli.training import show_progress_log

    show_progress_log()
    main()
