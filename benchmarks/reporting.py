"""Where a benchmark's results go: ``results/<name>.json`` (the figures) and ``results/<name>.md`` (the table
the README quotes), the table also printed."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(name: str, figures, table_lines: list[str]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2))
    (RESULTS / f"{name}.md").write_text("\n".join(table_lines) + "\n")
    print("\n".join(table_lines))
