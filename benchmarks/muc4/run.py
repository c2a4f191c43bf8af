"""MUC-4 beside the published systems: eventslots trained on GRIT's MUC-4 train split under the
MUC-4 schema (``schema.json`` here), its decision settings chosen on dev, one scored run on test.

Steps, each a library call or an ``eventslots`` command a user could run by hand:

1. convert ``grit_ree/{train,dev,test}.json`` to annotation records (``convert.py``; every
   occurrence of a filler's string), into ``--work``;
2. ``eventslots train --schema benchmarks/muc4/schema.json --annotations WORK/train.jsonl
   --output MODEL`` (skipped when MODEL already holds a model trained with the same settings);
3. read dev with every span the model decodes (``min_score=0``), then choose on dev the four
   settings that turn the model's probabilities into fillers: the weight of O in decoding
   (``Extractor.outside_weight``: below 1 favours recall), the span-score threshold, the document gate (a document
   whose best span scores below it predicts nothing: MUC-4 has many documents with no attack) and
   what to do with a string inside another of the same role (``convert.to_fillers``), by CEAF-REE
   F1 on dev;
4. with ``--test``: read test once with those settings, write GRIT's output file
   (``results/muc4/preds_test.json``), and score it with the CEAF-REE port (``scorer.py``).

Run from the repository root::

    python benchmarks/muc4/run.py                       # train if needed, choose on dev
    python benchmarks/muc4/run.py --test                # ... and the one scored test run
    python benchmarks/muc4/run.py --model models/muc4-w256 --train-args "--window-tokens 256"
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # scorer/convert beside this file; reporting in benchmarks/

import convert  # noqa: E402
import scorer  # noqa: E402
from reporting import RESULTS, write_results  # noqa: E402

SCHEMA = HERE / "schema.json"
THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.0, 0.96, 0.05))
DOCUMENT_GATES = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# Extractor.outside_weight: below 1, decoding favours spans over O (recall for precision).
OUTSIDE_WEIGHTS = (1.0, 0.5, 0.25, 0.1)
# Published test-set results (README, "MUC-4"): CEAF-REE F1 unless said otherwise.
PUBLISHED = (
    ("GRIT (Du, Rush and Cardie, 2021), BERT-base, 110M", "54.50", "reproduced by scorer.py from its published outputs"),
    ("TempGen (Huang et al., 2021), BART-base, 140M", "57.76", "as published"),
    ("GTT (Du et al., 2021), BERT-base, 110M", "50.23 template F1", "a template metric, reproduced by scorer.py"),
    ("IterX (Chen et al., 2023), T5-large, 770M", "53.0 template F1", "as published"),
)


def convert_splits(data: Path, work: Path) -> dict[str, Path]:
    """The three splits as annotation files in ``work`` (converted once; the conversion is deterministic)."""
    work.mkdir(parents=True, exist_ok=True)
    files = {}
    for split in ("train", "dev", "test"):
        path = work / f"{split}.jsonl"
        if not path.exists():
            records, _ = convert.to_documents(data / f"{split}.json")
            convert.write_records(records, path)
        files[split] = path
    return files


def train_if_needed(model: Path, train_file: Path, train_args: list[str]) -> None:
    """Train into ``model`` unless it already holds a model (whose stored command the results quote)."""
    if (model / "eventslots.json").exists():
        stored = json.loads((model / "eventslots.json").read_text(encoding="utf-8"))["command"]
        if train_args:
            sys.exit(f"{model} already holds a model ({stored}); give another --model to train with --train-args")
        print(f"using the model already in {model} ({stored})", file=sys.stderr)
        return
    command = ["eventslots", "train", "--schema", str(SCHEMA), "--annotations", str(train_file), "--output", str(model), *train_args]
    print("$ " + shlex.join(command), file=sys.stderr)
    subprocess.run([sys.executable, "-m", "eventslots", *command[1:]], check=True)


def read_spans(extractor, records: list[dict], outside_weight: float) -> dict[str, list]:
    """Every span the model decodes in each document, with its score."""
    extractor.outside_weight = outside_weight
    spans = extractor.predict_batch([r["text"] for r in records], min_score=0.0)
    return {r["id"]: s for r, s in zip(records, spans)}


def select(spans_by_doc: dict[str, list], threshold: float, gate: float) -> dict[str, list]:
    kept = {}
    for doc_id, spans in spans_by_doc.items():
        best = max((s.score for s in spans), default=0.0)
        kept[doc_id] = [s for s in spans if s.score >= threshold] if best >= gate else []
    return kept


def grid_scores(spans_by_doc: dict[str, list], records: list[dict], gold: dict) -> list[dict]:
    """Dev CEAF-REE of every threshold, document gate and handling of contained strings (``convert.to_fillers``)."""
    grid = []
    for threshold in THRESHOLDS:
        for gate in DOCUMENT_GATES:
            if gate and gate <= threshold:
                continue  # a gate at or below the threshold changes nothing
            kept = select(spans_by_doc, threshold, gate)
            for contained in convert.CONTAINED:
                f1 = scorer.ceaf_ree(convert.to_fillers(kept, records, contained), gold)[scorer.MICRO]
                grid.append({"threshold": threshold, "gate": gate, "contained": contained, "p": f1["p"], "r": f1["r"], "f1": f1["f1"]})
    return grid


def best_row(grid: list[dict]) -> dict:
    """The row with the best F1; ties keep the gentler setting: no reweighting of O, lower threshold and gate, "keep"."""
    order = {name: i for i, name in enumerate(convert.CONTAINED)}
    return max(grid, key=lambda row: (round(row["f1"], 9), row.get("outside_weight", 1.0), -row["threshold"], -row["gate"],
                                      -order[row["contained"]]))


def choose_on_dev(spans_by_doc: dict[str, list], records: list[dict], gold_file: Path) -> tuple[dict, list[dict]]:
    """The best row of ``grid_scores`` on these spans, and the grid."""
    grid = grid_scores(spans_by_doc, records, scorer.load_grit_gold(gold_file))
    return best_row(grid), grid


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="the grit_ree folder (default: <shared data>/muc4/grit_ree)")
    parser.add_argument("--work", type=Path, default=Path("reports/muc4"), help="converted splits go here (default: reports/muc4)")
    parser.add_argument("--model", type=Path, default=Path("models/muc4"), help="model directory (default: models/muc4)")
    parser.add_argument("--train-args", default="", help="extra `eventslots train` options, as one string")
    parser.add_argument("--test", action="store_true", help="also the one scored test run (write preds_test.json)")
    parser.add_argument("--name", default="muc4", help="results name under benchmarks/results/ (default: muc4)")
    args = parser.parse_args(argv)
    data = args.data or convert.default_data_dir()
    if data is None or not (data / "train.json").exists():
        parser.error("no MUC-4 grit_ree folder found; give --data (see ../shared/data/muc4/SOURCE.md)")

    (RESULTS / args.name).mkdir(parents=True, exist_ok=True)
    files = convert_splits(data, args.work)
    started = time.perf_counter()
    train_if_needed(args.model, files["train"], shlex.split(args.train_args))
    trained = json.loads((args.model / "eventslots.json").read_text(encoding="utf-8"))

    from eventslots.model.inference import Extractor

    extractor = Extractor.load(args.model, calibrated=False, backend="torch")
    dev_records = [json.loads(line) for line in files["dev"].open(encoding="utf-8")]
    reading = time.perf_counter()
    dev_gold = scorer.load_grit_gold(data / "dev.json")
    grid = []
    for weight in OUTSIDE_WEIGHTS:
        rows = grid_scores(read_spans(extractor, dev_records, weight), dev_records, dev_gold)
        grid += [{"outside_weight": weight, **row} for row in rows]
    dev_seconds = time.perf_counter() - reading
    chosen = best_row(grid)
    untuned = next(row for row in grid if row["outside_weight"] == 1.0 and row["threshold"] == 0.0 and row["gate"] == 0.0
                   and row["contained"] == "keep")
    figures = {
        "model": str(args.model), "train_command": trained["command"], "training_seconds": trained["training_seconds"],
        "threads": trained["environment"]["threads"], "machine": platform.processor() or platform.machine(),
        "dev": {"chosen": chosen, "every_span": untuned, "grid": grid, "read_seconds": dev_seconds},
    }
    lines = [
        f"Model `{args.model}`: `{trained['command']}`, trained in {trained['training_seconds'] / 60:.0f} min on "
        f"{trained['environment']['threads']} CPU threads.",
        "",
        f"Dev (200 documents), CEAF-REE F1: every span {100 * untuned['f1']:.2f}; chosen O weight {chosen['outside_weight']}, "
        f"threshold {chosen['threshold']:.2f}, "
        f"document gate {chosen['gate']:.2f}, contained strings: {chosen['contained']}: **{100 * chosen['f1']:.2f}** (P {100 * chosen['p']:.2f}, R {100 * chosen['r']:.2f}).",
    ]
    if args.test:
        test_records = [json.loads(line) for line in files["test"].open(encoding="utf-8")]
        reading = time.perf_counter()
        test_spans = select(read_spans(extractor, test_records, chosen["outside_weight"]), chosen["threshold"], chosen["gate"])
        test_seconds = time.perf_counter() - reading
        out = RESULTS / args.name / "preds_test.json"
        out.unlink(missing_ok=True)  # this run's predictions replace an earlier run's
        convert.write_grit_predictions(convert.to_fillers(test_spans, test_records, chosen["contained"]), out, data / "test.json")
        scores = scorer.ceaf_ree(scorer.load_grit_predictions(out), scorer.load_grit_gold(data / "test.json"))
        figures["test"] = {"ceaf_ree": scores, "read_seconds": test_seconds, "predictions": str(out.relative_to(RESULTS.parent.parent))}
        lines += [
            "",
            f"Test (200 documents), read in {test_seconds:.0f} s, scored from `{figures['test']['predictions']}` (GRIT's format):",
            "",
            "| role | precision | recall | CEAF-REE F1 |",
            "|---|---|---|---|",
            *(f"| {role} | {100 * s['p']:.2f} | {100 * s['r']:.2f} | {100 * s['f1']:.2f} |" for role, s in scores.items()),
        ]
    figures["seconds"] = time.perf_counter() - started
    write_results(f"{args.name}/summary", figures, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
