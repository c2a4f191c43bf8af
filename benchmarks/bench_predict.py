"""Throughput and peak memory of ``predict_batch`` per backend, against the Hugging Face pipeline and spaCy.

Two corpora: the five seed articles (median of ``--repeats`` passes) and 1,000
documents built from the authored texts (their 572 texts repeated, one pass).
Systems, each in its own child process so that each peak RSS is its own:

- ``predict_batch`` with the torch, onnx and onnx-int8 backends (the same
  model directory, the same windows, Viterbi decoding and calibration);
- the Hugging Face ``token-classification`` pipeline on the same fp32 torch
  model, ``aggregation_strategy="simple"`` with a stride (its chunks one at a
  time, its default, and in batches of 8);
- the spaCy peer (en_core_web_sm's NER fine-tuned on the seeds for 5 epochs:
  its speed, not its quality, is measured here).

Agreement is exact-span F1 against fp32 torch ``predict_batch``; the ratio is
throughput over the pipeline's (batch 1). All on 2 threads.

    python benchmarks/bench_predict.py [--model DIR] [--repeats 5]

Writes ``benchmarks/results/bench_predict.{json,md}``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import time
from pathlib import Path

from reporting import write_results  # benchmarks/reporting.py

SYSTEMS = ("predict_batch, torch", "predict_batch, onnx", "predict_batch, onnx-int8", "pipeline", "pipeline, batch 8", "spaCy peer")
REFERENCE, BASELINE = "predict_batch, torch", "pipeline"
CORPUS_SIZE = 1000


def corpora() -> dict[str, list[str]]:
    from eventslots.model.paths import SEEDS_DIR
    from eventslots.training.corpus import load_documents

    authored = [d.text for d in load_documents() if d.source == "authored"]
    return {
        "seeds": [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))],
        f"authored x{CORPUS_SIZE}": [authored[i % len(authored)] for i in range(CORPUS_SIZE)],
    }


def make_system(name: str, model_dir: str):
    """A function from texts to (start, end, label) triples per text."""
    if name.startswith("predict_batch"):
        from eventslots.model.inference import Extractor

        extractor = Extractor.load(model_dir, backend=name.split(", ")[1], threads=2)
        return lambda texts: [[(s.start, s.end, s.label) for s in doc] for doc in extractor.predict_batch(texts)]
    if name.startswith("pipeline"):
        import torch
        from transformers import pipeline

        from eventslots.model.inference import Extractor

        torch.set_num_threads(2)
        extractor = Extractor.load(model_dir, backend="torch")
        tagger = pipeline(
            "token-classification", model=extractor.model, tokenizer=extractor.tokenizer, aggregation_strategy="simple",
            stride=extractor.stride_tokens, batch_size=8 if "batch 8" in name else 1, device=-1,
        )
        tagger.tokenizer.model_max_length = extractor.window_tokens
        return lambda texts: [[(e["start"], e["end"], e["entity_group"]) for e in tagger(t)] for t in texts]
    from eventslots.training.corpus import load_documents
    from eventslots.training.peers import SpacyNer

    peer = SpacyNer([d for d in load_documents() if d.source == "seed"], epochs=5)
    return lambda texts: [[(s.start, s.end, s.label) for s in doc] for doc in peer.predict_batch(texts)]


def run_system(name: str, model_dir: str, repeats: int, queue) -> None:
    texts_by_corpus = corpora()
    call = make_system(name, model_dir)
    call(texts_by_corpus["seeds"])  # warm-up
    result = {"system": name, "corpora": {}}
    for corpus, texts in texts_by_corpus.items():
        runs, output = [], None
        for _ in range(repeats if len(texts) < 50 else 1):
            started = time.perf_counter()
            output = call(texts)
            runs.append(time.perf_counter() - started)
        seconds = statistics.median(runs)
        result["corpora"][corpus] = {"seconds": seconds, "articles_per_second": len(texts) / seconds, "spans": output}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(result)


def agreement(texts: list[str], reference: list[list[tuple]], other: list[list[tuple]]) -> float:
    """Exact-span F1 of another system's spans scored against the reference's, by the project's span metrics."""
    from eventslots.model.spans import Span
    from eventslots.training.metrics import Scored, span_scores

    def spans(text: str, found: list[tuple]) -> tuple[Span, ...]:
        return tuple(sorted(Span(start, end, label, text[start:end]) for start, end, label in found))

    scored = [Scored(str(i), t, spans(t, a), spans(t, b)) for i, (t, a, b) in enumerate(zip(texts, reference, other))]
    return span_scores(scored, "exact")["micro"]["f1"]


def main() -> None:
    from eventslots.model.backends import default_backend
    from eventslots.model.paths import default_model_dir
    from eventslots.model.backends import Tokenizer

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
        print(name, {c: round(r["articles_per_second"], 2) for c, r in results[name]["corpora"].items()}, flush=True)
    tokenizer = Tokenizer(Path(args.model))
    texts_by_corpus = corpora()
    default = f"predict_batch, {default_backend(Path(args.model))}"
    lines = [
        f"Model {args.model}; 2 threads; seeds: median of {args.repeats} passes, "
        f"authored x{CORPUS_SIZE}: one pass. Agreement: exact-span F1 against fp32 torch predict_batch. Default backend: {default}.\n",
        "| corpus | system | articles/s | tokens/s | peak RSS (MB) | agreement with fp32 torch | throughput vs pipeline |",
        "|---|---|---|---|---|---|---|",
    ]
    for corpus, texts in texts_by_corpus.items():
        tokens = sum(len(tokenizer(t)["input_ids"]) for t in texts)
        for name, result in results.items():
            r = result["corpora"][corpus]
            r["tokens_per_second"] = tokens / r["seconds"]
            r["agreement_with_torch"] = agreement(texts, results[REFERENCE]["corpora"][corpus]["spans"], r["spans"])
            r["throughput_vs_pipeline"] = r["articles_per_second"] / results[BASELINE]["corpora"][corpus]["articles_per_second"]
            marker = " (default)" if name == default else ""
            lines.append(
                f"| {corpus} | {name}{marker} | {r['articles_per_second']:.2f} | {r['tokens_per_second']:.0f} | {result['peak_rss_mb']:.0f} | "
                f"{r['agreement_with_torch']:.3f} | {r['throughput_vs_pipeline']:.2f}x |"
            )
    for result in results.values():
        for r in result["corpora"].values():
            r.pop("spans")
    write_results("bench_predict", results, lines)


if __name__ == "__main__":
    main()
