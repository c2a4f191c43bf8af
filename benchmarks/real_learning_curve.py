"""Plot the real-dev learning curve over real-train documents from the levers runs.

Each point is a ``python benchmarks/levers.py real-dev`` row trained on seeds +
authored + real-train (``sources=seed,authored,user`` is the point with no real-train document),
so the curve grows as annotation batches are imported:

    python benchmarks/real_learning_curve.py   # writes benchmarks/results/real-learning-curve.png
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
# Rows trained on the project's own annotations with every other setting at its default. ("baseline"
# rows are not: the authored-round-4 lever trained one on extra files through LEVERS_ANNOTATIONS.)
SERIES = ("sources=seed,authored,user", "sources=seed,authored,real,user")


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = json.loads((RESULTS / "levers-real-dev.json").read_text())
    points = sorted((r["real_train_documents"], r["exact_f1"], *r["exact_interval"]) for r in rows.values() if r["setting"] in SERIES)
    x, y, low, high = zip(*points)
    figure, axis = plt.subplots(figsize=(5, 3.4))
    axis.fill_between(x, low, high, color="#3b6ea8", alpha=0.15, label="95% bootstrap interval")
    axis.plot(x, y, marker="o", color="#3b6ea8", label="strict span F1 on real-dev")
    for xi, yi in zip(x, y):
        axis.annotate(f"{yi:.3f}", (xi, yi), textcoords="offset points", xytext=(-10, 8), fontsize=8)
    axis.set_xlabel("real-train documents (beside the seeds and 572 authored texts)")
    axis.set_ylabel("F1")
    axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(RESULTS / "real-learning-curve.png", dpi=110)
    print("\n".join(f"{n} real-train documents: {f:.3f} ({lo:.3f}-{hi:.3f})" for n, f, lo, hi in points))


if __name__ == "__main__":
    main()
