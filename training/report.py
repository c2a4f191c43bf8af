"""Evaluation reports: JSON for machines, Markdown and a PNG chart for people."""

from __future__ import annotations

import json
from pathlib import Path

from eventslots.model.schema import DEFAULT_SCHEMA, PALETTE

from .metrics import MISSED, SPURIOUS, label_order


def _colour(label: str) -> str:
    """The default schema's colour of a label; another schema's labels take the palette's, by name."""
    return DEFAULT_SCHEMA.colours.get(label) or PALETTE[sum(map(ord, label)) % len(PALETTE)]


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def summary_table(result: dict) -> str:
    rows = ["| scoring | precision | recall | F1 |", "|---|---|---|---|"]
    for name, part in (
        ("seqeval strict IOB2, micro", result["seqeval"]["micro"]),
        ("seqeval strict IOB2, macro", result["seqeval"]["macro"]),
        ("spans, exact offsets, micro", result["exact"]["micro"]),
        ("spans, overlapping offsets, micro", result["overlap"]["micro"]),
    ):
        rows.append(f"| {name} | {_pct(part['precision'])} | {_pct(part['recall'])} | {_pct(part['f1'])} |")
    return "\n".join(rows)


def per_label_table(result: dict) -> str:
    rows = ["| label | precision | recall | F1 | overlap F1 | support |", "|---|---|---|---|---|---|"]
    for label in label_order([*result["seqeval"]["per_label"], *result["overlap"]["per_label"]]):
        s = result["seqeval"]["per_label"].get(label)
        o = result["overlap"]["per_label"].get(label)
        if s is None and o is None:
            continue
        s = s or {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
        o = o or {"f1": 0.0}
        rows.append(f"| {label} | {_pct(s['precision'])} | {_pct(s['recall'])} | {_pct(s['f1'])} | {_pct(o['f1'])} | {s['support']} |")
    return "\n".join(rows)


def split_tables(result: dict) -> str:
    """A real-article split: the headline with its interval, per label (exact and overlap), per source, peers."""
    low, high = result["interval"]["exact"]
    o_low, o_high = result["interval"]["overlap"]
    exact, overlap = result["exact"]["micro"], result["overlap"]["micro"]
    no_attack = result["no_attack"]
    lines = [
        f"{result['documents']} documents of {result['split']}: strict (exact) span F1 **{_pct(exact['f1'])}** "
        f"(95% bootstrap interval {_pct(low)}-{_pct(high)}; precision {_pct(exact['precision'])}, recall {_pct(exact['recall'])}), "
        f"overlap span F1 {_pct(overlap['f1'])} ({_pct(o_low)}-{_pct(o_high)}); "
        f"spans on {no_attack['with_spans']} of {no_attack['documents']} documents without an attack; "
        f"expected calibration error of span scores {result['calibration']['ece']:.3f}.\n",
        "| label | exact P | exact R | exact F1 | overlap F1 | gold spans |",
        "|---|---|---|---|---|---|",
    ]
    for label in label_order(result["exact"]["per_label"]):
        e, o = result["exact"]["per_label"].get(label), result["overlap"]["per_label"].get(label)
        if e is None:
            continue
        lines.append(f"| {label} | {_pct(e['precision'])} | {_pct(e['recall'])} | {_pct(e['f1'])} | {_pct(o['f1'])} | {e['support']} |")
    lines += ["", "| source | documents | exact F1 | overlap F1 |", "|---|---|---|---|"]
    for family, part in result["by_source"].items():
        lines.append(f"| {family} | {part['documents']} | {_pct(part['exact']['f1'])} | {_pct(part['overlap']['f1'])} |")
    if result.get("peers"):
        lines += ["", "| system (same training documents) | exact F1 | 95% interval | overlap F1 | no-attack docs with spans |", "|---|---|---|---|---|"]
        lines.append(f"| this model | {_pct(exact['f1'])} | {_pct(low)}-{_pct(high)} | {_pct(overlap['f1'])} | {no_attack['with_spans']}/{no_attack['documents']} |")
        for name, peer in result["peers"].items():
            p_low, p_high = peer["exact_interval"]
            lines.append(f"| {name} | {_pct(peer['exact_f1'])} | {_pct(p_low)}-{_pct(p_high)} | {_pct(peer['overlap_f1'])} | {peer['no_attack_with_spans']} |")
    if result.get("absent"):
        lines.append(f"\n{len(result['absent'])} {result['split']} document(s) left out: their text comes from WikiEvents, "
                     "and no copy was found (set EVENTSLOTS_DATA to a folder holding wikievents/).")
    return "\n".join(lines)


def confusion_table(confusion: dict) -> str:
    labels = label_order({l for row in confusion.values() for l in row} | set(confusion) - {MISSED, SPURIOUS})
    columns = labels + [MISSED]
    rows = ["| gold \\ predicted | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for gold in [*labels, SPURIOUS]:
        row = confusion.get(gold)
        if not row:
            continue
        cells = [str(row.get(c, "")) if not (gold == SPURIOUS and c == MISSED) else "" for c in columns]
        rows.append(f"| {gold} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def error_list(entries: list[dict]) -> str:
    if not entries:
        return "(none)\n"
    return "\n".join(f"- `{e['doc']}` {e['label']} {e['text']!r}: …{e['context']}…" for e in entries) + "\n"


def folds_table(report: dict) -> str:
    rows = ["| fold | document | seqeval micro F1 | exact span F1 | overlap span F1 |", "|---|---|---|---|---|"]
    for f in report["folds"]:
        rows.append(
            f"| {f['fold']} | {', '.join(f['documents'])} | {_pct(f['seqeval_micro_f1'])} | {_pct(f['exact_micro_f1'])} | {_pct(f['overlap_micro_f1'])} |"
        )
    m = report["mean"]
    rows.append(f"| mean | | {_pct(m['seqeval_micro_f1'])} | {_pct(m['exact_micro_f1'])} | {_pct(m['overlap_micro_f1'])} |")
    return "\n".join(rows)


def plot_label_f1(result: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = label_order(result["seqeval"]["per_label"])
    values = [result["seqeval"]["per_label"][l]["f1"] for l in labels]
    figure, axis = plt.subplots(figsize=(7, 3.6))
    bars = axis.barh(labels[::-1], values[::-1], color=[_colour(l) for l in labels[::-1]])
    axis.bar_label(bars, labels=[f"{v:.2f}" for v in values[::-1]], padding=3, fontsize=8)
    axis.set_xlim(0, 1.08)
    axis.set_xlabel("F1 (seqeval, strict IOB2)")
    axis.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(report: dict, out_dir: str | Path, title: str, command: str) -> dict[str, Path]:
    """``report.json``, ``report.md`` and ``label_f1.png`` in ``out_dir``.

    ``report`` is an evaluation result, or a cross-validation report whose
    ``pooled`` part holds the result over all held-out documents.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = report.get("pooled", report)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md", "chart": out_dir / "label_f1.png"}
    paths["json"].write_text(json.dumps({**report, "command": command}, indent=2), encoding="utf-8")
    plot_label_f1(result, paths["chart"], title)
    parts = [f"# {title}\n", f"Made by `{command}`.\n"]
    if "folds" in report:
        parts += ["## Per fold\n", folds_table(report) + "\n", "## Pooled over the held-out documents\n"]
    if "split" in result:
        from .calibration import plot_reliability

        paths["reliability"] = out_dir / "reliability.png"
        plot_reliability(result["calibration"]["reliability"], paths["reliability"], f"{result['split']}: span scores")
        parts += [split_tables(result) + "\n", "![reliability diagram](reliability.png)\n", "## seqeval\n"]
    parts += [
        summary_table(result) + "\n",
        "## Per label (seqeval strict; overlap F1 from character spans)\n",
        per_label_table(result) + "\n",
        "![per-label F1](label_f1.png)\n",
        "## Label confusion (spans sharing characters)\n",
        confusion_table(result["confusion"]) + "\n",
        f"## Missed spans ({len(result['errors']['missed'])})\n",
        error_list(result["errors"]["missed"]),
        f"## Spurious spans ({len(result['errors']['spurious'])})\n",
        error_list(result["errors"]["spurious"]),
    ]
    paths["markdown"].write_text("\n".join(parts), encoding="utf-8")
    return paths


def incidents_table(result: dict) -> str:
    """The incident scores of ``jobs.evaluate_incidents`` as a Markdown table, one row per setting."""
    rows = [(name, scores) for name, scores in result.items() if isinstance(scores, dict) and "fillers" in scores]
    header = "| grouping, spans | template P | template R | template F1 | incidents (pred / gold) | time | killed | injured | intercepted |"
    lines = [f"{result['split']}: {result['documents']} documents", "", header, "|" + "---|" * 9]
    for name, scores in rows:
        fillers, values = scores["fillers"], scores["values"]

        def rate(field: str) -> str:
            value = values[field]
            return f"{value['rate']:.2f} ({value['right']}/{value['stated']})" if value["rate"] is not None else "-"

        lines.append(
            f"| {name} | {fillers['precision']:.3f} | {fillers['recall']:.3f} | **{fillers['f1']:.3f}** | "
            f"{scores['incidents']['predicted']} / {scores['incidents']['gold']} | {rate('time')} | {rate('killed')} | "
            f"{rate('injured')} | {rate('intercepted')} |"
        )
    return "\n".join(lines)
