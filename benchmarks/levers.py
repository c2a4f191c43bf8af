"""What each quality lever does: train with one setting changed, score on the real articles.

Two protocols, both scored by the project's own evaluation code:

* ``transfer``: train on the authored texts only and score all five seed
  articles. One training run per setting, so it is cheap enough to screen
  many settings; it measures exactly the transfer the product depends on,
  from texts we wrote to real articles from another outlet.
* ``crossval``: leave-one-seed-out over the real articles with everything
  else in training (``eventslots crossval``): the project's headline figure,
  for the settings that screening kept.

Usage::

    python benchmarks/levers.py transfer  baseline learning_rate=5e-5 epochs=4 ...
    python benchmarks/levers.py crossval  baseline augment_copies=1
    LEVERS_ANNOTATIONS="annotations/seeds annotations/authored/ua.jsonl ..." python benchmarks/levers.py ...

Each argument is ``baseline`` or ``field=value[,field=value]`` over
``TrainingConfig``. Results go to ``benchmarks/results/levers-<protocol>.json``
(appended, keyed by the settings) and a Markdown table beside it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import fields, replace
from pathlib import Path


from eventslots.model.schema import LABEL_NAMES
from eventslots.training.auxiliary import load_auxiliary
from eventslots.training.config import TrainingConfig
from eventslots.training.corpus import corpus_hash, load_documents
from eventslots.training.evaluate import crossval, evaluate_predictor, extractor_for, headline
from eventslots.training.train import train

RESULTS = Path(__file__).resolve().parent / "results"


def parse_setting(argument: str) -> TrainingConfig:
    if argument == "baseline":
        return TrainingConfig()
    types = {f.name: type(f.default) for f in fields(TrainingConfig)}
    changes = {}
    for part in argument.split(","):
        name, _, value = part.partition("=")
        changes[name] = types[name](value)
    return replace(TrainingConfig(), **changes)


def transfer(config: TrainingConfig, documents) -> dict:
    training = [d for d in documents if d.source == "authored"]
    real = [d for d in documents if d.source == "seed"]
    auxiliary = load_auxiliary(config.auxiliary) if config.auxiliary else []
    trained = train(training, config, auxiliary)
    result = evaluate_predictor(extractor_for(trained).predict_batch, real)
    return {
        **headline(result),
        "per_label_f1": {label: v["f1"] for label, v in result["seqeval"]["per_label"].items()},
        "training_seconds": trained.seconds,
    }


def run(protocol: str, arguments: list[str]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"levers-{protocol}.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    # A fixed set of files keeps a series of runs on the same data while the corpus grows.
    paths = os.environ.get("LEVERS_ANNOTATIONS", "").split() or None
    documents = load_documents(paths)
    data = corpus_hash(documents)[:12]
    for argument in arguments:
        config = parse_setting(argument)
        key = f"{argument}@{data}"
        if key in results:
            print(f"{argument}: cached")
            continue
        started = time.perf_counter()
        if protocol == "transfer":
            row = transfer(config, documents)
        else:
            report = crossval(documents, config)
            row = {
                **report["mean"],
                "pooled_seqeval_micro_f1": report["pooled"]["seqeval"]["micro"]["f1"],
                "per_label_f1": {l: v["f1"] for l, v in report["pooled"]["seqeval"]["per_label"].items()},
            }
        row.update(setting=argument, config=config.to_dict(), data_hash=data, seconds=time.perf_counter() - started)
        results[key] = row
        out.write_text(json.dumps(results, indent=2))
        print(f"{argument}: seqeval micro F1 {row['seqeval_micro_f1']:.3f}", flush=True)
    write_table(protocol, results)


def write_table(protocol: str, results: dict) -> None:
    labels = LABEL_NAMES
    lines = [
        "| encoder | window/stride | learning rate | epochs | other | data | micro F1 | overlap F1 | "
        + " | ".join(l[:5] for l in labels) + " |",
        "|---" * (len(labels) + 8) + "|",
    ]
    for row in results.values():
        c = row["config"]
        other = ", ".join(
            f"{k}={v}" for k, v in (("augment_copies", c["augment_copies"]), ("auxiliary", Path(c["auxiliary"]).name)) if v
        ) or "-"
        per = " | ".join(f"{row['per_label_f1'].get(l, 0):.2f}" for l in labels)
        lines.append(
            f"| {c['base_model']} | {c['window_tokens']}/{c['stride_tokens']} | {c['learning_rate']:g} | {c['epochs']:g} | {other} "
            f"| {row['data_hash'][:6]} | {row['seqeval_micro_f1']:.3f} | {row['overlap_micro_f1']:.3f} | {per} |"
        )
    (RESULTS / f"levers-{protocol}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("transfer", "crossval"):
        sys.exit(__doc__)
    run(sys.argv[1], sys.argv[2:])
