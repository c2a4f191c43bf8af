"""How inference reads a document: sub-words read, real-dev scores and speed, per reading.

Inference reads each paragraph from windows of its own (``model.windows.plan_reading``).
Two settings decide how many sub-words that forwards: how far past its
paragraph a window reads for context, and how many sub-words consecutive
windows of a long paragraph share. This compares the readings below, each
against the one before this release (32 and 32), by

- sub-words forwarded on the seeds and on real-dev (special tokens included),
  beside plain sliding windows (how the Hugging Face pipeline reads);
- real-dev strict F1 of the uncalibrated model, fp32 torch and int8, with
  the paired 95% bootstrap interval of the difference (documents resampled
  together, ``training.heldout.paired_difference_interval``);
- seeds articles/s with the int8 graph (median of ``--rounds`` rounds of
  ``--repeats`` passes, the readings alternating in one process).

    python benchmarks/reading.py [--model models/default]

Writes ``benchmarks/results/reading.{json,md}``. Real-dev chooses; real-test is not read.
"""

from __future__ import annotations

import argparse
import copy

from bench_int8_reading import sub_words_read  # benchmarks/bench_int8_reading.py
from reporting import alternating_rates, write_results  # benchmarks/reporting.py

# (name, context past the paragraph, overlap of a long paragraph's windows)
READINGS = (
    ("before: 32 past the paragraph, windows sharing 32", 32, 32),
    ("the paragraph alone, windows sharing 32 (shipped)", 0, 32),
    ("the paragraph alone, windows sharing 24", 0, 24),
    ("the paragraph alone, windows sharing 16", 0, 16),
)


def read_as(extractor, context: int, overlap: int):
    """``extractor`` reading another way: a shallow copy sharing its loaded model, so each backend loads once."""
    reader = copy.copy(extractor)
    reader.context_tokens, reader.overlap_tokens = context, overlap
    return reader


def main() -> None:
    from eventslots.model.inference import Extractor
    from eventslots.model.paths import SEEDS_DIR, default_model_dir
    from eventslots.training.corpus import load_documents
    from eventslots.training.corpus.real import split_documents
    from eventslots.training.evaluate import predict_documents
    from eventslots.training.heldout import paired_difference_interval
    from eventslots.training.metrics import pair_documents, span_scores

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(default_model_dir()))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    dev = split_documents(load_documents(), "real-dev")
    corpora = {"seeds": [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))], "real-dev": [d.text for d in dev]}
    readers = {}
    for backend in ("torch", "onnx-int8"):
        loaded = Extractor.load(args.model, calibrated=False, backend=backend)
        readers[backend] = {name: read_as(loaded, context, overlap) for name, context, overlap in READINGS}
    some = readers["torch"][READINGS[0][0]]
    size, stride = some.window_tokens, some.stride_tokens
    rows = {name: {"context_tokens": context, "overlap_tokens": overlap} for name, context, overlap in READINGS}
    sliding = {}
    for corpus, texts in corpora.items():
        counts = {name: sub_words_read(reader, texts) for name, reader in readers["torch"].items()}
        for name, read in counts.items():
            rows[name][f"sub_words_{corpus}"] = read["paragraph windows"]
        sliding[corpus] = counts[READINGS[0][0]]["sliding windows"]  # the same for every reading
    for backend, by_name in readers.items():
        scored = {name: pair_documents(dev, predict_documents(reader.predict_batch, dev)) for name, reader in by_name.items()}
        before = scored[READINGS[0][0]]
        for name in by_name:
            rows[name][f"f1_{backend}"] = span_scores(scored[name], "exact")["micro"]["f1"]
            rows[name][f"difference_interval_{backend}"] = paired_difference_interval(scored[name], before)
        print(backend, {name: round(rows[name][f"f1_{backend}"], 4) for name in by_name}, flush=True)
    rates = alternating_rates({name: reader.predict_batch for name, reader in readers["onnx-int8"].items()}, corpora["seeds"], args.rounds, args.repeats)
    for name in rows:
        rows[name]["seeds_articles_per_second_int8"] = rates[name]
        rows[name]["speedup"] = rates[name] / rates[READINGS[0][0]]

    def interval(row: dict, backend: str) -> str:
        low, high = row[f"difference_interval_{backend}"]
        return f"{low:+.3f} to {high:+.3f}"

    lines = [
        f"Model {args.model}, uncalibrated; real-dev ({len(dev)} articles) strict F1, and the paired 95% interval of its difference "
        f"from the first row. Sub-words forwarded, special tokens included: the seeds' text is read by plain sliding windows "
        f"of {size} sharing {stride} (as the pipeline reads) in {sliding['seeds']}, real-dev's in {sliding['real-dev']}. "
        f"Speed: int8 on the seeds, 2 cores, median of {args.rounds} rounds of {args.repeats} passes.\n",
        "| reading | sub-words, seeds | sub-words, real-dev | real-dev F1, fp32 torch | difference (95%) | real-dev F1, int8 | difference (95%) | seeds: articles/s, int8 | vs the first |",
        "|---|---|---|---|---|---|---|---|---|",
        *(f"| {name} | {row['sub_words_seeds']} | {row['sub_words_real-dev']} | {row['f1_torch']:.3f} | {interval(row, 'torch')} | "
          f"{row['f1_onnx-int8']:.3f} | {interval(row, 'onnx-int8')} | {row['seeds_articles_per_second_int8']:.2f} | {row['speedup']:.2f}x |"
          for name, row in rows.items()),
    ]
    write_results("reading", {"sliding_sub_words": sliding, "rows": rows}, lines)


if __name__ == "__main__":
    main()
