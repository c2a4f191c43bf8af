"""The make-up of an annotated corpus: what it covers, and how evenly."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from eventslots.model.schema import LABEL_NAMES

from .documents import Document


def corpus_makeup(documents: Sequence[Document]) -> dict:
    words = [len(d.text.split()) for d in documents]
    styles, regions, attacks = Counter(), Counter(), Counter()
    for d in documents:
        styles[d.meta.get("style", "(none)")] += 1
        regions[d.meta.get("region", "(none)")] += 1
        kinds = d.meta.get("attacks") or ["(none)"]
        attacks.update(kinds if isinstance(kinds, list) else [kinds])
    spans = Counter(s.label for d in documents for s in d.spans)
    fillers = {label: len({s.text.lower() for d in documents for s in d.spans if s.label == label}) for label in LABEL_NAMES}
    return {
        "texts": len(documents),
        "controls": sum(1 for d in documents if not d.spans),
        "words": {"total": sum(words), "min": min(words, default=0), "max": max(words, default=0),
                  "mean": sum(words) / len(words) if words else 0},
        "styles": dict(styles.most_common()),
        "regions": dict(regions.most_common()),
        "attack_types": dict(attacks.most_common()),
        "spans": {label: spans.get(label, 0) for label in LABEL_NAMES},
        "distinct_fillers": fillers,
    }


def makeup_markdown(makeup: dict) -> str:
    def table(title: str, counts: dict) -> str:
        rows = [f"| {title} | texts |", "|---|---|"] + [f"| {k} | {v} |" for k, v in counts.items()]
        return "\n".join(rows)

    w = makeup["words"]
    label_rows = ["| label | spans | distinct fillers |", "|---|---|---|"] + [
        f"| {label} | {makeup['spans'][label]} | {makeup['distinct_fillers'][label]} |" for label in LABEL_NAMES
    ]
    controls = makeup["controls"]
    share = controls / makeup["texts"] if makeup["texts"] else 0
    return "\n\n".join(
        [
            f"{makeup['texts']} texts, {controls} of them controls with no attack ({share:.0%}); "
            f"{w['total']:,} words, {w['min']}–{w['max']} per text (mean {w['mean']:.0f}).",
            "\n".join(label_rows),
            table("style", makeup["styles"]),
            f"{len(makeup['regions'])} regions: " + " · ".join(f"{k} {v}" for k, v in makeup["regions"].items()) + ".",
            table("attack type (a text can have several)", makeup["attack_types"]),
        ]
    )
