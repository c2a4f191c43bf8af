"""The gate an ONNX backend passes before it becomes the default, and how fast each backend reads.

For each backend (torch fp32, ONNX fp32, ONNX int8) and reading setting, in one run:
exact-span agreement with fp32 torch (micro F1 of its spans scored against torch's)
on the five seeds and on real-dev; strict span F1 on real-dev with its 95%
interval; expected calibration error of the (calibrated) span scores on real-dev;
and articles/s on the seeds. Real-dev is the split that chooses settings; real-test
is never read here.

    python benchmarks/bench_backends.py [--model DIR] [--context 32 ...]

Rows read with ``model.windows.DEFAULT_CONTEXT_TOKENS`` (at most that many sub-words
past each paragraph's end); ``--context N`` (or ``window``: as far as a window reaches) adds rows.
Agreement is measured against fp32 torch at the default reading.
Writes ``benchmarks/results/bench_backends.{json,md}``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from reporting import write_results  # benchmarks/reporting.py

from eventslots.model.backends import GATE  # the thresholds `eventslots calibrate` applies too


def exact_agreement(reference: dict[str, list], other: dict[str, list], texts: dict[str, str]) -> float:
    """The gate's agreement (``training.backend_gate``) over spans keyed by document id."""
    from eventslots.training.backend_gate import exact_agreement as agreement

    ids = list(reference)
    return agreement([texts[i] for i in ids], [reference[i] for i in ids], [other[i] for i in ids])


def main() -> None:
    from eventslots.model.inference import Extractor
    from eventslots.model.paths import SEEDS_DIR, default_model_dir
    from eventslots.model.windows import DEFAULT_CONTEXT_TOKENS
    from eventslots.training.corpus import load_documents
    from eventslots.training.evaluate import predict_documents
    from eventslots.training.heldout import evaluate_split, split_summary
    from eventslots.training.corpus.real import split_documents

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(default_model_dir()))
    parser.add_argument("--context", action="append", default=[], type=lambda v: None if v == "window" else int(v),
                        help="also read with this paragraph context cap ('window': as far as a window reaches)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    seeds = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))}
    dev = split_documents(load_documents(), "real-dev")
    dev_texts = {d.id: d.text for d in dev}
    rows = {}
    for context in [DEFAULT_CONTEXT_TOKENS, *args.context]:
        for backend in ("torch", "onnx", "onnx-int8"):
            extractor = Extractor.load(args.model, backend=backend, context_tokens=context)
            texts = list(seeds.values())
            extractor.predict_batch(texts)  # warm-up
            passes = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                seed_spans = extractor.predict_batch(texts)
                passes.append(time.perf_counter() - started)
            dev_spans = predict_documents(extractor.predict_batch, dev)
            summary = split_summary(evaluate_split(dev, dev_spans, "real-dev"))
            rows[(context, backend)] = {
                "context_tokens": context,
                "backend": backend,
                "seed_articles_per_second": len(texts) / statistics.median(passes),
                "seed_spans": dict(zip(seeds, seed_spans)),
                "dev_spans": dev_spans,
                **summary,
            }
            print(f"{backend} context {context}: F1 {summary['exact_f1']:.4f}, ECE {summary['ece']:.3f}, "
                  f"{rows[(context, backend)]['seed_articles_per_second']:.2f} articles/s", flush=True)
    reference = rows[(DEFAULT_CONTEXT_TOKENS, "torch")]
    lines = [
        f"Model {args.model}; {len(dev)} real-dev documents, 5 seeds; median of {args.repeats} passes over the seeds.",
        f"Gate: exact-span agreement with fp32 torch at least {GATE['agreement']} on the seeds and real-dev, "
        f"real-dev strict F1 within {GATE['f1_drop']} of fp32 torch.\n",
        "| backend | paragraph context | agreement, seeds | agreement, real-dev | real-dev strict F1 (95% interval) | real-dev ECE | no-attack docs with spans | seeds: articles/s | speed vs torch | gate |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows.values():
        row["agreement_seeds"] = exact_agreement(reference["seed_spans"], row["seed_spans"], seeds)
        row["agreement_dev"] = exact_agreement(reference["dev_spans"], row["dev_spans"], dev_texts)
        row["speed_ratio"] = row["seed_articles_per_second"] / reference["seed_articles_per_second"]
        row["passes_gate"] = (
            min(row["agreement_seeds"], row["agreement_dev"]) >= GATE["agreement"]
            and reference["exact_f1"] - row["exact_f1"] <= GATE["f1_drop"]
        )
        low, high = row["exact_interval"]
        lines.append(
            f"| {row['backend']} | {'a window' if row['context_tokens'] is None else row['context_tokens']} | {row['agreement_seeds']:.3f} | {row['agreement_dev']:.3f} | "
            f"{row['exact_f1']:.3f} ({low:.3f}-{high:.3f}) | {row['ece']:.3f} | {row['no_attack_with_spans']} | "
            f"{row['seed_articles_per_second']:.2f} | {row['speed_ratio']:.2f}x | {'pass' if row['passes_gate'] else 'fail'} |"
        )
    for row in rows.values():
        row.pop("seed_spans")
        row.pop("dev_spans")
    write_results("bench_backends", list(rows.values()), lines)


if __name__ == "__main__":
    main()
