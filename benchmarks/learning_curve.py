"""Learning curve: does writing more training texts help on real articles?

Leave-one-seed-out strict F1 on the five real seed articles for the tagger
trained on the other four seeds plus 0, 40, 80, 160 and all authored texts
(nested random samples: the first 40 are among the first 80). Authored texts
are only ever training data. Every point uses the default settings, with at
least ``MIN_STEPS`` optimisation steps so that the smallest training sets are
not judged on a handful of updates.

    python benchmarks/learning_curve.py [--fresh]

Writes ``benchmarks/results/learning_curve.{json,md,png}``; the point with all
texts is also the cross-validation report of the default settings
(``reports/crossval/...``), which ``eventslots train`` quotes in the model card.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path


from eventslots.model.base import load_tokenizer
from eventslots.model.schema import DEFAULT_SCHEMA, LABEL_NAMES
from eventslots.training.config import TrainingConfig
from eventslots.training.corpus import corpus_hash, load_documents
from eventslots.training.evaluate import crossval
from eventslots.training.jobs import crossval_dir
from eventslots.training.report import write_report
from eventslots.training.train import training_rows

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (0, 40, 80, 160)
MIN_STEPS = 100
CURVE = RESULTS / "learning_curve.json"


def epochs_for(documents, config: TrainingConfig, tokenizer) -> float:
    windows = len(training_rows(documents, tokenizer, config, DEFAULT_SCHEMA))
    steps_per_epoch = math.ceil(windows / config.batch_size)
    return max(config.epochs, MIN_STEPS / steps_per_epoch)


def main() -> None:
    fresh = "--fresh" in sys.argv[1:]
    config = TrainingConfig()
    documents = load_documents()
    authored = sum(d.source == "authored" for d in documents)
    data = corpus_hash(documents)
    tokenizer = load_tokenizer(config.base_model)
    # A point takes 5-20 minutes on 2 cores. Unless --fresh, points already measured are kept,
    # those made on an earlier, smaller corpus included (each row names its data), so the curve
    # extends by one point when a batch of texts is added. Saved after each point, so a rerun resumes.
    saved = json.loads(CURVE.read_text()) if CURVE.exists() and not fresh else []
    curve = {p["authored_texts"]: p for p in saved if p["authored_texts"] < authored or p["data_hash"] == data}
    for size in sorted({*SIZES, *curve, authored}):
        if size in curve:
            print(f"{size} authored: kept from data {curve[size]['data_hash'][:12]}", flush=True)
            continue
        # Training set of one fold: four seeds plus the authored sample (folds differ by one seed only).
        sample = crossval_sample(documents, config, size)
        point_config = replace(config, epochs=round(epochs_for(sample, config, tokenizer), 2)) if size < authored else config
        started = time.perf_counter()
        report = crossval(documents, point_config, authored_limit=size, progress=False)
        curve[size] = {
            "authored_texts": size,
            "epochs": point_config.epochs,
            "mean_seqeval_micro_f1": report["mean"]["seqeval_micro_f1"],
            "fold_seqeval_micro_f1": [f["seqeval_micro_f1"] for f in report["folds"]],
            "pooled_seqeval_micro_f1": report["pooled"]["seqeval"]["micro"]["f1"],
            "pooled_overlap_micro_f1": report["pooled"]["overlap"]["micro"]["f1"],
            "per_label_f1": {l: v["f1"] for l, v in report["pooled"]["seqeval"]["per_label"].items()},
            "seconds": time.perf_counter() - started,
            "data_hash": report["data_hash"],
        }
        print(f"{size} authored: mean F1 {curve[size]['mean_seqeval_micro_f1']:.3f}", flush=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        CURVE.write_text(json.dumps([curve[k] for k in sorted(curve)], indent=2))
        if size == authored:
            write_report(report, crossval_dir(config, documents), "Leave-one-document-out cross-validation", "python benchmarks/learning_curve.py")
    points = [curve[k] for k in sorted(curve)]
    write_table(points)
    plot(points)


def crossval_sample(documents, config, size):
    import random

    authored = sorted((d for d in documents if d.source == "authored"), key=lambda d: d.id)
    random.Random(config.seed).shuffle(authored)
    seeds = [d for d in documents if d.source == "seed"][:4]
    return seeds + authored[:size]


def write_table(points) -> None:
    head = "| authored texts | data | epochs | mean LODO F1 | per fold | pooled F1 | pooled overlap F1 | " + " | ".join(l[:5] for l in LABEL_NAMES) + " |"
    lines = [head, "|---" * (7 + len(LABEL_NAMES)) + "|"]
    for p in points:
        folds = " ".join(f"{f:.2f}" for f in p["fold_seqeval_micro_f1"])
        labels = " | ".join(f"{p['per_label_f1'].get(l, 0):.2f}" for l in LABEL_NAMES)
        lines.append(
            f"| {p['authored_texts']} | {p['data_hash'][:6]} | {p['epochs']:g} | {p['mean_seqeval_micro_f1']:.3f} | {folds} | {p['pooled_seqeval_micro_f1']:.3f} | {p['pooled_overlap_micro_f1']:.3f} | {labels} |"
        )
    (RESULTS / "learning_curve.md").write_text("\n".join(lines) + "\n")


def plot(points) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [p["authored_texts"] for p in points]
    figure, axis = plt.subplots(figsize=(6.4, 3.8))
    for i in range(len(points[0]["fold_seqeval_micro_f1"])):
        axis.plot(x, [p["fold_seqeval_micro_f1"][i] for p in points], color="#bbbbbb", linewidth=0.8, marker=".")
    axis.plot(x, [p["mean_seqeval_micro_f1"] for p in points], color="#e6194b", linewidth=2.2, marker="o", label="mean over the 5 held-out seeds")
    axis.plot(x, [p["pooled_overlap_micro_f1"] for p in points], color="#4363d8", linewidth=1.4, linestyle="--", marker="s", label="pooled, overlap matching")
    axis.set_xlabel("authored texts in training (plus 4 real seed articles)")
    axis.set_ylabel("strict F1 (seqeval, IOB2)")
    axis.set_ylim(0, 1)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right", fontsize=8)
    axis.set_title("Leave-one-seed-out F1 as authored texts are added", fontsize=10)
    figure.tight_layout()
    figure.savefig(RESULTS / "learning_curve.png", dpi=120)
    plt.close(figure)


if __name__ == "__main__":
    from eventslots.cli.training import show_progress_log

    show_progress_log()
    main()
