"""Paragraph reading against stride reading: windows read, and real-dev scores.

Inference reads each paragraph from windows of its own (``model.windows.plan_reading``);
before, windows were placed by stride over the whole text (``plan_windows``,
each sub-word read from the window where it has most context). This prints
how many windows each reading needs on real-dev and on the seeds, and with
``--model DIR`` the model's real-dev scores (uncalibrated) both ways.

Usage::

    python benchmarks/reading.py [--model models/default]
"""

from __future__ import annotations

import argparse

from eventslots.model.base import load_tokenizer
from eventslots.model.paths import SEEDS_DIR
from eventslots.model.windows import DEFAULT_STRIDE_TOKENS, DEFAULT_WINDOW_TOKENS, best_window_for_tokens, encode_text, plan_reading, plan_windows
from eventslots.training.corpus import load_documents
from eventslots.training.corpus.real import split_documents


def stride_reading(text, encoded, window_tokens, stride_tokens):
    windows = plan_windows(encoded, window_tokens, stride_tokens)
    return windows, best_window_for_tokens(windows, range(len(encoded.ids)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="also score this model on real-dev both ways (uncalibrated)")
    args = parser.parse_args()
    tokenizer = load_tokenizer()
    dev = split_documents(load_documents(), "real-dev")
    for name, texts in (("real-dev", [d.text for d in dev]), ("seeds", [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))])):
        stride = paragraph = 0
        for text in texts:
            encoded = encode_text(tokenizer, text)
            stride += len(plan_windows(encoded, DEFAULT_WINDOW_TOKENS, DEFAULT_STRIDE_TOKENS))
            paragraph += len(plan_reading(text, encoded, DEFAULT_WINDOW_TOKENS, DEFAULT_STRIDE_TOKENS)[0])
        print(f"{name}: {stride} windows by stride, {paragraph} by paragraph ({paragraph / stride:.2f}x)")
    if args.model:
        import eventslots.model.inference as inference
        from eventslots.model.inference import Extractor
        from eventslots.training.evaluate import predict_documents
        from eventslots.training.heldout import evaluate_split, split_summary

        for reading in ("paragraph", "stride"):
            if reading == "stride":
                inference.plan_reading = stride_reading
            extractor = Extractor.load(args.model, calibrated=False)
            summary = split_summary(evaluate_split(dev, predict_documents(extractor.predict_batch, dev), "real-dev"))
            low, high = summary["exact_interval"]
            print(f"{reading} reading: real-dev strict F1 {summary['exact_f1']:.3f} ({low:.3f}-{high:.3f}), "
                  f"overlap {summary['overlap_f1']:.3f}, no-attack documents with spans {summary['no_attack_with_spans']}")


if __name__ == "__main__":
    main()
