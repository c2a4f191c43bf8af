"""Where a benchmark's results go: ``results/<name>.json`` (the figures) and ``results/<name>.md`` (the table
the README quotes), the table also printed."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable, Mapping

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    """The CPU a figure was measured on. Speed ratios move with it: int8 gains most where the CPU has
    int8 dot-product instructions (VNNI), so that is named too."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    vnni = "with" if flags & {"avx512_vnni", "avx_vnni"} else "without"
    return f"{model}, {len(os.sched_getaffinity(0))} cores, {vnni} int8 dot-product instructions (VNNI)"


def write_results(name: str, figures, table_lines: list[str]) -> None:
    """Each file names the machine, since the figures hold for it alone."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    where = machine()
    (RESULTS / f"{name}.json").write_text(json.dumps({"machine": where, "results": figures}, indent=2))
    (RESULTS / f"{name}.md").write_text(f"Machine: {where}.\n\n" + "\n".join(table_lines) + "\n")
    print(f"Machine: {where}.\n")
    print("\n".join(table_lines))


def alternating_rates(readers: Mapping[str, Callable[[list], object]], texts: list, rounds: int, repeats: int) -> dict[str, float]:
    """Texts per second of each reader over ``texts``: the readers take turns for ``rounds`` rounds of
    ``repeats`` passes each (so a slow spell of the machine falls on all of them); the median of the
    rounds' medians. Each reader reads the texts once first, as a warm-up."""
    for read in readers.values():
        read(texts)
    rates: dict[str, list[float]] = {name: [] for name in readers}
    for _ in range(rounds):
        for name, read in readers.items():
            passes = []
            for _ in range(repeats):
                started = time.perf_counter()
                read(texts)
                passes.append(time.perf_counter() - started)
            rates[name].append(len(texts) / statistics.median(passes))
    return {name: statistics.median(r) for name, r in rates.items()}
