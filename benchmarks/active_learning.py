"""Does uncertainty sampling beat random? A simulation on the real-article corpus.

Start from the seeds and the authored texts; the pool is real-train with its
gold spans hidden. Each step adds ``--batch`` pool documents (their gold
annotation, as if an analyst had just annotated them), chosen by the previous
step's model (``training.active.suggest``: uncertainty with diversity) or at
random, retrains from scratch with the same seed, and scores real-dev (strict
span F1 with its bootstrap interval). Step 0 is shared. Real-dev and
real-test are never in the pool.

Each training is one epoch by default (``--epochs``): 21 trainings must fit a
CPU afternoon; the comparison is between strategies trained the same way.
The simulation's models are not calibrated (calibration is fitted on
real-dev, which scores them), so raw span scores stand in for calibrated ones.

    python benchmarks/active_learning.py                 # results/active-learning.{json,png}
    python benchmarks/active_learning.py --steps 8 --strategies uncertainty random:1 random:2

Points are written as they come; a rerun continues where the file stops
(retraining the last step's model to choose the next batch), and a rerun of a
finished simulation only redraws the plot and the table
(``results/active-learning.md``: F1 per step, and the make-up of what each
strategy chose).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

from eventslots.training.active import suggest
from eventslots.training.config import TrainingConfig
from eventslots.training.corpus import load_documents
from eventslots.training.corpus.real import drop_held_out, split_documents
from eventslots.training.evaluate import extractor_for, predict_documents
from eventslots.training.heldout import evaluate_split
from eventslots.training.train import train

RESULTS = Path(__file__).resolve().parent / "results"
OUTPUT = RESULTS / "active-learning.json"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def score(extractor, dev) -> dict:
    result = evaluate_split(dev, predict_documents(extractor.predict_batch, dev), "real-dev")
    return {"exact_f1": result["exact"]["micro"]["f1"], "exact_interval": result["interval"]["exact"],
            "precision": result["exact"]["micro"]["precision"], "recall": result["exact"]["micro"]["recall"]}


def choose(strategy: str, extractor, pool, taken: set[str], batch: int, step: int) -> list[str]:
    remaining = [d for d in pool if d.id not in taken]
    if strategy.startswith("random"):
        seed = int(strategy.partition(":")[2] or 1)
        return [d.id for d in random.Random(seed * 1000 + step).sample(remaining, min(batch, len(remaining)))]
    picked = suggest(extractor, [(d.id, d.text) for d in remaining], batch, strategy="uncertainty")
    return [s.id for s in picked]


def run(strategies: list[str], steps: int, batch: int, config: TrainingConfig) -> dict:
    documents = load_documents()
    start = drop_held_out([d for d in documents if d.source in ("seed", "authored")])
    pool = split_documents(documents, "real-train")
    dev = split_documents(documents, "real-dev")
    by_id = {d.id: d for d in pool}
    results = json.loads(OUTPUT.read_text()) if OUTPUT.exists() else {}
    settings = {"config": config.to_dict(), "batch": batch, "start_documents": len(start), "pool": len(pool), "dev": len(dev)}
    if results.get("settings", settings) != settings:
        raise SystemExit(f"{OUTPUT} was made with other settings; move it away to start again")
    results["settings"] = settings
    log(f"start set {len(start)} documents, pool {len(pool)} real-train, real-dev {len(dev)}; {strategies}, {steps} steps of {batch}")

    def trained_on(chosen: list[str]):
        began = time.perf_counter()
        trained = train(start + [by_id[i] for i in chosen], config, progress=True)
        return extractor_for(trained), time.perf_counter() - began

    def save() -> None:
        OUTPUT.write_text(json.dumps(results, indent=1) + "\n")

    start_model = None
    if "start" not in results:
        start_model, seconds = trained_on([])
        results["start"] = {**score(start_model, dev), "training_seconds": round(seconds, 1)}
        save()
    log(f"start: real-dev strict F1 {results['start']['exact_f1']:.3f}")
    for strategy in strategies:
        points = results.setdefault(strategy, [{"step": 0, "real_train": 0, **results["start"], "chosen": []}])
        extractor = start_model if len(points) == 1 else None
        for step in range(len(points), steps + 1):
            chosen = points[-1]["chosen"]
            if strategy == "uncertainty" and extractor is None:  # resuming: the previous step's model chooses
                log(f"{strategy}: retraining the model of step {step - 1} to choose")
                extractor, _ = trained_on(chosen)
            chosen = chosen + choose(strategy, extractor, pool, set(chosen), batch, step)
            extractor, seconds = trained_on(chosen)
            point = score(extractor, dev)
            points.append({"step": step, "real_train": len(chosen), **point, "training_seconds": round(seconds, 1), "chosen": chosen})
            save()
            log(f"{strategy} step {step}: {len(chosen)} real-train documents, real-dev strict F1 {point['exact_f1']:.3f} "
                f"({point['exact_interval'][0]:.3f}-{point['exact_interval'][1]:.3f})")
    plot(results)
    write_table(results, by_id)
    return results


def write_table(results: dict, pool: dict) -> None:
    """``results/active-learning.md``: F1 per step, and what each strategy chose (at its last step)."""
    strategies = [k for k in results if k not in ("settings", "start")]
    steps = [p["real_train"] for p in results[strategies[0]]]
    rows = ["| strategy | " + " | ".join(str(n) for n in steps) + " | mean over steps 1+ | chosen: without attack | mean words | gold spans |",
            "|---|" + "---|" * (len(steps) + 4)]
    for strategy in strategies:
        points = results[strategy]
        chosen = [pool[i] for i in points[-1]["chosen"]]
        later = [p["exact_f1"] for p in points[1:]]
        rows.append(f"| {strategy} | " + " | ".join(f"{p['exact_f1']:.3f}" for p in points)
                    + f" | {sum(later) / max(len(later), 1):.3f} | {sum(not d.spans for d in chosen)}/{len(chosen)}"
                    + f" | {sum(len(d.text.split()) for d in chosen) / max(len(chosen), 1):.0f} | {sum(len(d.spans) for d in chosen)} |")
    (RESULTS / "active-learning.md").write_text("\n".join(rows) + "\n")
    print("\n".join(rows))


def plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5.4, 3.6))
    colours = {"uncertainty": "#c0392b", "random:1": "#7f8c8d", "random:2": "#34495e", "random:3": "#95a5a6"}
    for strategy, points in results.items():
        if strategy in ("settings", "start"):
            continue
        x = [p["real_train"] for p in points]
        y = [p["exact_f1"] for p in points]
        style = dict(color=colours.get(strategy, "#7f8c8d"), marker="o" if strategy == "uncertainty" else ".",
                     linestyle="-" if strategy == "uncertainty" else "--")
        axis.plot(x, y, label=strategy if strategy == "uncertainty" else f"random (seed {strategy.partition(':')[2] or 1})", **style)
        if strategy == "uncertainty":
            axis.fill_between(x, [p["exact_interval"][0] for p in points], [p["exact_interval"][1] for p in points],
                              color=style["color"], alpha=0.1, label="95% interval (uncertainty)")
    axis.set_xlabel("real-train documents added (10 per step)")
    axis.set_ylabel("strict span F1 on real-dev")
    axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(RESULTS / "active-learning.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategies", nargs="+", default=["uncertainty", "random:1"], help="uncertainty, random:SEED")
    parser.add_argument("--steps", type=int, default=6, help="steps after the start (default: 6)")
    parser.add_argument("--batch", type=int, default=10, help="documents added per step (default: 10)")
    parser.add_argument("--epochs", type=float, default=1.0, help="training epochs per step (default: 1)")
    args = parser.parse_args()
    run(args.strategies, args.steps, args.batch, replace(TrainingConfig(), epochs=args.epochs))


if __name__ == "__main__":
    main()
