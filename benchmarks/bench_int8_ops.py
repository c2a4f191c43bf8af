"""Where one window's time goes in the fp32 and int8 graphs, by operator, on this CPU.

ONNX Runtime's own profiler times every kernel while each graph reads the same
128-sub-word window on one thread (as the shipped int8 reading runs each
window). The share of each operator type, and the whole window's time, for
both graphs in one process: int8 pays off only where its integer products are
faster than the fp32 products they replace (with int8 dot-product
instructions, VNNI); the table shows whether they are on this machine.

    python benchmarks/bench_int8_ops.py [--model DIR] [--tokens 128] [--repeats 30]

Writes ``benchmarks/results/bench_int8_ops.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from reporting import write_results  # benchmarks/reporting.py


def profile(graph: Path, tokens: int, repeats: int) -> dict:
    """Milliseconds per window (median) and milliseconds per window spent in each operator type."""
    import numpy as np
    import onnxruntime

    from eventslots.model.backends import INPUTS, OUTPUTS, session_options

    options = session_options(1)
    options.enable_profiling = True
    with tempfile.TemporaryDirectory() as scratch:
        options.profile_file_prefix = str(Path(scratch) / "profile")
        session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        ids = np.random.default_rng(0).integers(1000, 20000, size=(1, tokens)).astype(np.int64)
        feed = {INPUTS[0]: ids, INPUTS[1]: np.ones_like(ids)}
        for _ in range(3):
            session.run([OUTPUTS[0]], feed)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            session.run([OUTPUTS[0]], feed)
            times.append(time.perf_counter() - started)
        events = json.loads(Path(session.end_profiling()).read_text())
    by_operator: dict[str, float] = defaultdict(float)
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            by_operator[event["args"]["op_name"]] += event["dur"] / 1000
    runs = repeats + 3
    return {"ms_per_window": statistics.median(times) * 1000, "ms_by_operator": {k: v / runs for k, v in by_operator.items()}}


def main() -> None:
    from eventslots.model.paths import default_model_dir
    from eventslots.model.store import onnx_file

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(default_model_dir()))
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    figures = {backend: profile(onnx_file(Path(args.model), backend), args.tokens, args.repeats) for backend in ("onnx", "onnx-int8")}
    operators = sorted({op for f in figures.values() for op in f["ms_by_operator"]}, key=lambda op: -max(f["ms_by_operator"].get(op, 0) for f in figures.values()))
    shown = [op for op in operators if max(f["ms_by_operator"].get(op, 0) for f in figures.values()) >= 0.2]
    lines = [
        f"One window of {args.tokens} sub-words on one thread (`python benchmarks/bench_int8_ops.py`); milliseconds per window by operator (ONNX Runtime's profiler).",
        "",
        "| operator | fp32 graph (ms) | int8 graph (ms) |",
        "|---|---|---|",
    ]
    for op in shown:
        cells = [f"{figures[b]['ms_by_operator'][op]:.2f}" if op in figures[b]["ms_by_operator"] else "" for b in ("onnx", "onnx-int8")]
        lines.append(f"| {op} | {cells[0]} | {cells[1]} |")
    fp32, int8 = figures["onnx"]["ms_per_window"], figures["onnx-int8"]["ms_per_window"]
    lines.append(f"| **whole window** (median of {args.repeats}) | **{fp32:.1f}** | **{int8:.1f}** ({fp32 / int8:.2f}x the fp32 graph) |")
    write_results("bench_int8_ops", figures, lines)


if __name__ == "__main__":
    main()
