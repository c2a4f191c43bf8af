"""Corpus mode at scale: flat memory, a kill and a resume, and Ray against the local engine.

Corpora are the authored texts repeated with new ids (``doc-000001`` ...),
written as JSON Lines. Each run is the real command, ``eventslots predict
--input ... --output ...`` with the default backend, in its own process, so its
peak RSS (from ``wait4``) is its own:

1. ``--engine local`` on 1,000 documents;
2. ``--engine local`` on 20,000 documents, killed (SIGKILL) once ``--kill-after``
   parts are written, then run again to finish; the output must hold each id
   exactly once, in input order, and equal the 1,000-document run where they
   overlap;
3. ``--engine ray`` on the 1,000 documents with 1 and with 2 workers (a local
   Ray started by the command), whose output must equal the local engine's
   byte for byte.

    python benchmarks/bench_corpus.py [--model DIR] [--large 20000] [--kill-after 10]

Writes ``benchmarks/results/bench_corpus.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reporting import write_results  # benchmarks/reporting.py


def write_corpus(path: Path, size: int) -> Path:
    from eventslots.training.corpus import load_documents

    authored = [d.text for d in load_documents() if d.source == "authored"]
    with path.open("w", encoding="utf-8") as out:
        for i in range(size):
            out.write(json.dumps({"id": f"doc-{i + 1:06d}", "text": authored[i % len(authored)]}) + "\n")
    return path


def run(command: list[str], kill_when=None) -> dict:
    """Runs the command; with ``kill_when``, SIGKILLs it once that returns true. Peak RSS of the process."""
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed = False
    while True:
        # wait4, not Popen.poll, so that the exit status and the child's own peak RSS come back together.
        pid, status, usage = os.wait4(child.pid, os.WNOHANG if kill_when is not None else 0)
        if pid:
            break
        if kill_when():
            child.send_signal(signal.SIGKILL)
            killed = True
            _, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.2)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    log = child.stderr.read()
    if not killed and child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{log[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "killed": killed, "log_tail": log.strip().splitlines()[-3:]}


def predict(source: Path, output: Path, model: str, *options: str) -> list[str]:
    return [sys.executable, "-m", "eventslots.cli.main", "predict", "--input", str(source), "--output", str(output), "--model", model, *options]


def ids(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line)["id"] for line in stream]


def main() -> None:
    from eventslots.batch.engines import CorpusRun
    from eventslots.model.backends import default_backend
    from eventslots.model.paths import default_model_dir

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(default_model_dir()))
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--kill-after", type=int, default=10, help="parts written before the large run is killed")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_corpus-"))
    small, large = write_corpus(work / "small.jsonl", args.small), write_corpus(work / "large.jsonl", args.large)
    rows = []

    local = run(predict(small, work / "local.jsonl", args.model))
    rows.append({"run": f"local, {args.small:,} documents", **local, "documents": args.small})
    print(rows[-1], flush=True)

    parts = work / "large-out.jsonl.parts"
    first = run(predict(large, work / "large-out.jsonl", args.model), kill_when=lambda: len(list(parts.glob("part-*.jsonl"))) >= args.kill_after)
    done_before = len(list(parts.glob("part-*.jsonl"))) * CorpusRun.part_size
    rows.append({"run": f"local, {args.large:,} documents, killed", **first, "documents": done_before})
    print(rows[-1], flush=True)
    second = run(predict(large, work / "large-out.jsonl", args.model))
    rows.append({"run": f"local, {args.large:,} documents, resumed", **second, "documents": args.large - done_before})
    print(rows[-1], flush=True)
    large_ids = ids(work / "large-out.jsonl")
    resume_ok = large_ids == [f"doc-{i + 1:06d}" for i in range(args.large)]
    with (work / "large-out.jsonl").open(encoding="utf-8") as stream:
        overlap_ok = [next(stream) for _ in range(args.small)] == (work / "local.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)

    identical = {}
    for workers in (1, 2):
        output = work / f"ray-{workers}.jsonl"
        result = run(predict(small, output, args.model, "--engine", "ray", "--workers", str(workers)))
        identical[workers] = output.read_bytes() == (work / "local.jsonl").read_bytes()
        rows.append({"run": f"ray, {workers} worker(s), {args.small:,} documents", **result, "documents": args.small, "identical_to_local": identical[workers]})
        print(rows[-1], flush=True)

    local_rate = rows[0]["documents"] / rows[0]["seconds"]
    lines = [
        f"Authored texts repeated with new ids; model {args.model}, backend {default_backend(Path(args.model))}, 2 cores; each run is "
        f"`eventslots predict --input corpus.jsonl --output out.jsonl` in its own process (times include loading the model; "
        f"Ray's include starting a local Ray).\n",
        "| run | documents | seconds | documents/s | vs local 1,000 | peak RSS (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        rate = r["documents"] / r["seconds"]
        lines.append(f"| {r['run']} | {r['documents']:,} | {r['seconds']:.0f} | {rate:.1f} | {rate / local_rate:.2f}x | {r['peak_rss_mb']:.0f} |")
    lines += [
        "",
        f"- Resumed {args.large:,}-document run: every id exactly once and in input order: **{'yes' if resume_ok else 'NO'}**; "
        f"its first {args.small:,} rows equal the {args.small:,}-document run's: **{'yes' if overlap_ok else 'NO'}**.",
        f"- Ray's rows identical to the local engine's (byte for byte): 1 worker **{'yes' if identical[1] else 'NO'}**, "
        f"2 workers **{'yes' if identical[2] else 'NO'}**. Ray's peak RSS is its driver's; its workers are separate processes.",
    ]
    write_results("bench_corpus", {"rows": rows, "resume_ok": resume_ok, "overlap_ok": overlap_ok, "ray_identical": identical}, lines)


if __name__ == "__main__":
    main()
