"""What each quality lever does: train with one setting changed, score on the real articles.

Two protocols, both scored by the project's own evaluation code:

* ``transfer``: train on the authored texts only and score all five seed
  articles. One training run per setting, so it is cheap enough to screen
  many settings; it measures exactly the transfer the product depends on,
  from texts we wrote to real articles from another outlet.
* ``crossval``: leave-one-seed-out over the real articles with everything
  else in training (``eventslots crossval``): the project's headline figure,
  for the settings that screening kept.
* ``real-dev``: train on everything the settings select (never real-dev or
  real-test), save the model under ``models/levers/``, and score it on the
  real-dev split (``eventslots evaluate --split real-dev``): how settings are
  chosen now. A model already there, trained with the same settings on the
  same documents, is scored again rather than retrained.

Usage::

    python benchmarks/levers.py real-dev baseline sources=seed,authored,real,user real_weight=2
    python benchmarks/levers.py real-dev soup:baseline+seed=14     # average two trained settings' weights
    python benchmarks/levers.py transfer  baseline learning_rate=5e-5 epochs=4 ...
    python benchmarks/levers.py crossval  baseline augment_copies=1
    LEVERS_ANNOTATIONS="annotations/seeds annotations/authored/ua.jsonl ..." python benchmarks/levers.py ...

Each argument is ``baseline`` or ``field=value[,field=value]`` over
``TrainingConfig``. Results go to ``benchmarks/results/levers-<protocol>.json``
(appended, keyed by the settings) and a Markdown table beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from dataclasses import fields, replace
from pathlib import Path


from eventslots.model.schema import LABEL_NAMES
from eventslots.training.corpus.auxiliary import load_auxiliary
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
    # "a=1,sources=seed,real,b=2": a comma starts a new field only before "name=".
    for part in re.split(r",(?=\w+=)", argument):
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


def real_dev(config: TrainingConfig, argument: str, documents, paths: list[str] | None = None) -> dict:
    from eventslots.training.evaluate import select_sources
    from eventslots.training.jobs import model_settings, train_and_save

    training = select_sources(documents, config)
    model_dir = lever_model_dir(argument)
    settings = model_dir / "eventslots.json"
    stored = json.loads(settings.read_text()) if settings.exists() else {}
    # Settings added since a model was trained take their defaults (model_settings).
    if not stored or model_settings(model_dir) != config or stored.get("data_hash") != corpus_hash(training):
        stored = train_and_save(config, model_dir, paths)
    return score_on_real_dev(model_dir, argument, stored["training_seconds"], sum(d.source == "real" for d in training))


def lever_model_dir(argument: str) -> Path:
    """Where the real-dev protocol keeps the model of one setting."""
    from eventslots.model.paths import models_dir

    return models_dir() / "levers" / hashlib.sha256(argument.encode()).hexdigest()[:10]


def score_on_real_dev(model_dir: Path, argument: str, training_seconds: float, real_train_documents: int) -> dict:
    """One row of the real-dev table: the model scored by the project's own evaluation."""
    from eventslots.training.heldout import split_summary
    from eventslots.training.jobs import evaluate_on_split

    result = evaluate_on_split(model_dir, "real-dev", RESULTS / "real-dev" / model_dir.name, f"python benchmarks/levers.py real-dev {argument}")
    return {
        **split_summary(result),
        "seqeval_micro_f1": result["seqeval"]["micro"]["f1"],
        "overlap_micro_f1": result["overlap"]["micro"]["f1"],
        "per_label_f1": {label: v["f1"] for label, v in result["exact"]["per_label"].items()},
        "training_seconds": training_seconds,
        "real_train_documents": real_train_documents,
        "model": str(model_dir),
    }


def soup(argument: str) -> dict:
    """``soup:A+B``: average the weights of the real-dev models of settings A and B, score on real-dev."""
    from eventslots.training.soup import average_models

    sources = [lever_model_dir(part) for part in argument.removeprefix("soup:").split("+")]
    missing = [str(s) for s in sources if not (s / "config.json").exists()]
    if missing:
        raise SystemExit(f"train these first (python benchmarks/levers.py real-dev SETTING): {', '.join(missing)}")
    model_dir = lever_model_dir(argument)
    average_models(sources, model_dir)
    settings = json.loads((model_dir / "eventslots.json").read_text())
    return score_on_real_dev(model_dir, argument, settings["training_seconds"], settings.get("corpus", {}).get("documents", {}).get("real", 0))


def run(protocol: str, arguments: list[str]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"levers-{protocol}.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    # A fixed set of files keeps a series of runs on the same data while the corpus grows.
    paths = os.environ.get("LEVERS_ANNOTATIONS", "").split() or None
    documents = load_documents(paths)
    data = corpus_hash(documents)[:12]
    if protocol == "real-dev":  # keyed by the documents each setting trains on
        from eventslots.training.evaluate import select_sources

        data = None
    for argument in arguments:
        if argument.startswith("soup:"):
            key = f"{argument}@{data or 'models'}"
            results[key] = {**soup(argument), "setting": argument, "config": {}, "data_hash": "", "seconds": 0.0}
            out.write_text(json.dumps(results, indent=2))
            print(f"{argument}: seqeval micro F1 {results[key]['seqeval_micro_f1']:.3f}", flush=True)
            continue
        config = parse_setting(argument)
        key = f"{argument}@{data or corpus_hash(select_sources(documents, config))[:12]}"
        if key in results:
            print(f"{argument}: cached")
            continue
        started = time.perf_counter()
        if protocol == "transfer":
            row = transfer(config, documents)
        elif protocol == "real-dev":
            row = real_dev(config, argument, documents, paths)
        else:
            report = crossval(documents, config)
            row = {
                **report["mean"],
                "pooled_seqeval_micro_f1": report["pooled"]["seqeval"]["micro"]["f1"],
                "per_label_f1": {l: v["f1"] for l, v in report["pooled"]["seqeval"]["per_label"].items()},
            }
        row.update(setting=argument, config=config.to_dict(), data_hash=key.rsplit("@", 1)[1], seconds=time.perf_counter() - started)
        results[key] = row
        out.write_text(json.dumps(results, indent=2))
        print(f"{argument}: seqeval micro F1 {row['seqeval_micro_f1']:.3f}", flush=True)
    (write_real_table if protocol == "real-dev" else write_table)(protocol, results)


def write_real_table(protocol: str, results: dict) -> None:
    labels = LABEL_NAMES
    lines = [
        "| setting | real-train docs | exact F1 | 95% interval | overlap F1 | no-attack docs with spans | ECE | train s | "
        + " | ".join(l[:5] for l in labels) + " |",
        "|---" * (len(labels) + 8) + "|",
    ]
    for row in results.values():
        low, high = row["exact_interval"]
        per = " | ".join(f"{row['per_label_f1'].get(l, 0):.2f}" for l in labels)
        lines.append(
            f"| `{row['setting']}` | {row['real_train_documents']} | {row['exact_f1']:.3f} | {low:.3f}-{high:.3f} | "
            f"{row['overlap_f1']:.3f} | {row['no_attack_with_spans']} | {row['ece']:.3f} | {row['training_seconds']:.0f} | {per} |"
        )
    (RESULTS / f"levers-{protocol}.md").write_text("\n".join(lines) + "\n")


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
    if len(sys.argv) < 3 or sys.argv[1] not in ("transfer", "crossval", "real-dev"):
        sys.exit(__doc__)
    from eventslots.cli.training import show_progress_log

    show_progress_log()
    run(sys.argv[1], sys.argv[2:])
