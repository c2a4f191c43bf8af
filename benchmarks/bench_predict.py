"""Throughput, latency and peak memory of ``predict`` against ``transformers.pipeline``.

Both read the five seed articles with the same trained model and the same
windows (``window_tokens``/``stride_tokens`` of the model), so the difference
is the inference code: ``predict_batch`` tokenises each article once and
batches windows across articles; the pipeline runs its chunks one at a time
(and, as a second configuration, in batches of 8). Each system runs in its
own child process, so each peak RSS is its own. The spans of both are
compared.

    python benchmarks/bench_predict.py [--model DIR] [--repeats 5]

Writes ``benchmarks/results/bench_predict.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import time
from pathlib import Path


RESULTS = Path(__file__).resolve().parent / "results"
# The pipeline's default (one chunk at a time, "simple" aggregation), then batched, then with
# "first" aggregation, which reads each word from its first sub-word as predict() does.
SYSTEMS = ("predict_batch", "pipeline", "pipeline, batch 8", "pipeline, batch 8, first")


def agreement(ours: list[list[tuple]], theirs: list[list[tuple]], mode: str) -> float:
    """Micro F1 of another system's spans scored against predict's, by the project's own span metrics."""
    from eventslots.model.spans import Span
    from eventslots.training.metrics import Scored, span_scores

    texts = seed_texts()

    def spans(text: str, found: list[tuple]) -> tuple[Span, ...]:
        return tuple(sorted(Span(start, end, label, text[start:end]) for start, end, label in found))

    scored = [Scored(str(i), t, spans(t, a), spans(t, b)) for i, (t, a, b) in enumerate(zip(texts, ours, theirs))]
    return span_scores(scored, mode)["micro"]["f1"]


def seed_texts() -> list[str]:
    from eventslots.model.paths import SEEDS_DIR

    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))]


def run_system(name: str, model_dir: str, repeats: int, queue) -> None:
    import torch

    torch.set_num_threads(2)
    from eventslots.model.inference import Extractor

    texts = seed_texts()
    extractor = Extractor.load(model_dir)
    tokens = sum(len(extractor.tokenizer(t, add_special_tokens=False, verbose=False)["input_ids"]) for t in texts)
    if name == "predict_batch":
        call = lambda: extractor.predict_batch(texts)
        per_doc = lambda text: extractor.predict(text)
    else:
        from transformers import pipeline

        batch = 8 if "batch 8" in name else 1
        tagger = pipeline(
            "token-classification", model=extractor.model, tokenizer=extractor.tokenizer,
            aggregation_strategy="first" if "first" in name else "simple", stride=extractor.stride_tokens, batch_size=batch, device=-1,
        )
        tagger.tokenizer.model_max_length = extractor.window_tokens
        call = lambda: [tagger(t) for t in texts]
        per_doc = lambda text: tagger(text)
    call()  # warm-up
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        output = call()
        runs.append(time.perf_counter() - started)
    latencies = []
    for _ in range(repeats):
        for text in texts:
            started = time.perf_counter()
            per_doc(text)
            latencies.append(time.perf_counter() - started)
    latencies.sort()
    spans = [
        [(s.start, s.end, s.label) for s in doc] if name == "predict_batch"
        else [(e["start"], e["end"], e["entity_group"]) for e in doc]
        for doc in output
    ]
    queue.put(
        {
            "system": name,
            "seconds_per_pass": statistics.median(runs),
            "articles_per_second": len(texts) / statistics.median(runs),
            "tokens_per_second": tokens / statistics.median(runs),
            "latency_p50": latencies[len(latencies) // 2],
            "latency_p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "spans": spans,
            "tokens": tokens,
        }
    )


def main() -> None:
    from eventslots.model.paths import default_model_dir

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(default_model_dir()))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    results = {}
    for name in SYSTEMS:
        queue = context.Queue()
        child = context.Process(target=run_system, args=(name, args.model, args.repeats, queue))
        child.start()
        results[name] = queue.get()
        child.join()
    ours = results["predict_batch"]
    rows = []
    for name, r in results.items():
        r["span_agreement_with_predict"] = agreement(ours["spans"], r["spans"], "exact")
        r["overlap_agreement_with_predict"] = agreement(ours["spans"], r["spans"], "overlap")
        r["throughput_ratio"] = ours["articles_per_second"] / r["articles_per_second"]
        rows.append(
            f"| {name} | {r['articles_per_second']:.2f} | {r['tokens_per_second']:.0f} | {1000 * r['latency_p50']:.0f} | "
            f"{1000 * r['latency_p95']:.0f} | {r['peak_rss_mb']:.0f} | {r['span_agreement_with_predict']:.3f} | {r['overlap_agreement_with_predict']:.3f} | {r['throughput_ratio']:.2f}x |"
        )
    table = "\n".join(
        [
            f"Five seed articles, {ours['tokens']} sub-word tokens, model {args.model}, 2 threads, median of {args.repeats} passes.\n",
            "| system | articles/s | tokens/s | p50 latency (ms) | p95 latency (ms) | peak RSS (MB) | exact-span F1 against predict | overlap F1 | predict's throughput ratio |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    for r in results.values():
        r.pop("spans")
    (RESULTS / "bench_predict.json").write_text(json.dumps(results, indent=2))
    (RESULTS / "bench_predict.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
