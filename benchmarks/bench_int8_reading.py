"""How the int8 backend spends two cores: one window on two threads, or a window per core.

The int8 graph reads one window at a time (its activation scales are per batch,
so a batch would make a window's reading depend on its neighbours). A window's
products are small, so two threads on one window leave cores idle; the shipped
reading (``model.backends.OnnxTagger``) runs a window per core, each on one
thread. Both readings in one process, alternating, on the seeds (median of
``--repeats`` passes each round), with a check that they give the same spans.

    python benchmarks/bench_int8_reading.py [--model DIR] [--repeats 5] [--rounds 3]

Writes ``benchmarks/results/bench_int8_reading.{json,md}``.
"""

from __future__ import annotations

import argparse

from reporting import alternating_rates, write_results  # benchmarks/reporting.py


def one_window_on_two_threads(extractor) -> None:
    """The reading before: the same graph in a session with two intra-op threads, windows in turn."""
    import onnxruntime

    from eventslots.model.backends import session_options

    tagger = extractor.tagger
    tagger.session = onnxruntime.InferenceSession(str(tagger.path), session_options(2), providers=["CPUExecutionProvider"])
    tagger.workers = 1


def sub_words_read(extractor, texts: list[str]) -> dict[str, int]:
    """Sub-words ``extractor`` reads over ``texts`` (special tokens included): its paragraph windows,
    against plain sliding windows of the same size and stride (as the pipeline reads)."""
    from eventslots.model.windows import encode_text, plan_reading, plan_windows

    size, stride = extractor.window_tokens, extractor.stride_tokens
    encoded = [encode_text(extractor.tokenizer, text) for text in texts]
    paragraph = [plan_reading(t, e, size, extractor.overlap_tokens, extractor.context_tokens)[0] for t, e in zip(texts, encoded)]
    sliding = [plan_windows(e, size, stride) for e in encoded]
    return {
        "text": sum(len(e.ids) for e in encoded),
        "paragraph windows": sum(w.end - w.start + 2 for plan in paragraph for w in plan),
        "sliding windows": sum(w.end - w.start + 2 for plan in sliding for w in plan),
    }


def main() -> None:
    from eventslots.model.inference import Extractor
    from eventslots.model.paths import SEEDS_DIR, default_model_dir

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(default_model_dir()))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))]
    readings = {"one window on two threads": Extractor.load(args.model, backend="onnx-int8", threads=2),
                "a window per core (shipped)": Extractor.load(args.model, backend="onnx-int8", threads=2)}
    one_window_on_two_threads(readings["one window on two threads"])
    read = sub_words_read(readings["a window per core (shipped)"], seeds)
    spans = [extractor.predict_batch(seeds) for extractor in readings.values()]
    rates = alternating_rates({name: extractor.predict_batch for name, extractor in readings.items()}, seeds, args.rounds, args.repeats)
    baseline = rates["one window on two threads"]
    rows = [{"reading": name, "articles_per_second": rate, "speedup": rate / baseline} for name, rate in rates.items()]
    lines = [
        f"Model {args.model}; int8 backend on the seeds, 2 cores; median of {args.rounds} rounds of {args.repeats} passes. "
        f"Same spans from both readings: {'yes' if spans[0] == spans[1] else 'NO'}. Sub-words of the seeds: {read['text']}; "
        f"read by predict's paragraph windows: {read['paragraph windows']}; by plain sliding windows: {read['sliding windows']}.\n",
        "| int8 reading | seeds: articles/s | vs one window on two threads |",
        "|---|---|---|",
        *(f"| {row['reading']} | {row['articles_per_second']:.2f} | {row['speedup']:.2f}x |" for row in rows),
    ]
    write_results("bench_int8_reading", {"same_spans": spans[0] == spans[1], "sub_words": read, "rows": rows}, lines)


if __name__ == "__main__":
    main()
