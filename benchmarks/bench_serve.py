"""Peak memory of ``eventslots serve`` per backend, after it has answered the five seed articles.

Each backend gets its own server process (``eventslots serve --backend B``);
a ``gradio_client`` asks ``/extract`` and ``/incidents`` for each seed article,
then the server's peak resident memory (``VmHWM``) is read and the server
stopped. The budget is 500 MB with the default backend.

    python benchmarks/bench_serve.py [--model DIR]

Writes ``benchmarks/results/bench_serve.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from reporting import write_results  # benchmarks/reporting.py

BUDGET_MB = 500


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory(pid: int) -> dict:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {name: int(fields[key].split()[0]) / 1024 for name, key in (("peak_rss_mb", "VmHWM"), ("rss_mb", "VmRSS"))}


def measure(backend: str, model: str, texts: list[str]) -> dict:
    from gradio_client import Client

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "eventslots.cli.main", "serve", "--no-train", "--port", str(port), "--model", model, "--backend", backend],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        started = time.monotonic()
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:
                if server.poll() is not None or time.monotonic() - started > 180:
                    raise RuntimeError(f"the {backend} server did not start")
                time.sleep(0.5)
        idle = memory(server.pid)
        answered = time.monotonic()
        for text in texts:
            client.predict(text, api_name="/extract")
            client.predict(text, "", api_name="/incidents")
        seconds = time.monotonic() - answered
        after = memory(server.pid)
        return {"backend": backend, "idle_rss_mb": idle["rss_mb"], "peak_rss_mb": after["peak_rss_mb"], "seconds_for_seeds": seconds,
                "torch_loaded": _has_torch(server.pid)}
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def _has_torch(pid: int) -> bool:
    """Whether torch's shared library is mapped into the server."""
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def main() -> None:
    from eventslots.model.backends import BACKENDS, default_backend
    from eventslots.model.paths import SEEDS_DIR, default_model_dir

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(default_model_dir()))
    args = parser.parse_args()
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))]
    results = [measure(backend, args.model, texts) for backend in BACKENDS]
    lines = [
        f"`eventslots serve --backend B`, model {args.model}, after answering /extract and /incidents for the five seed articles; "
        f"budget {BUDGET_MB} MB for the default backend ({default_backend(Path(args.model))}).\n",
        "| backend | RSS when started (MB) | peak RSS (MB) | torch loaded | seconds for the seeds | under budget |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        marker = " (default)" if r["backend"] == default_backend(Path(args.model)) else ""
        lines.append(f"| {r['backend']}{marker} | {r['idle_rss_mb']:.0f} | {r['peak_rss_mb']:.0f} | {'yes' if r['torch_loaded'] else 'no'} | "
                     f"{r['seconds_for_seeds']:.1f} | {'yes' if r['peak_rss_mb'] < BUDGET_MB else 'no'} |")
    write_results("bench_serve", results, lines)


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    main()
