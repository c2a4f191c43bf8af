"""Scores of predicted spans against gold spans.

* seqeval in strict mode on IOB2 word tags (the words of ``model.tagging``),
  per label and micro/macro: the standard NER figure;
* span matching on character offsets: *exact* (same start, end and label) and
  *overlap* (same label, any shared character), which credits a prediction
  that found the right mention with a slightly different boundary;
* a label confusion table and the lists of missed and spurious spans.

Every system (the transformer, the baselines, a second annotator) is scored
by these functions, so figures are comparable.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from seqeval.metrics import classification_report
import seqeval.scheme

from eventslots.model.schema import SCHEME

from eventslots.model.schema import LABEL_NAMES
from eventslots.model.spans import Span
from eventslots.model.tagging import spans_to_tags, word_tokens

MISSED, SPURIOUS = "(missed)", "(spurious)"


@dataclass(frozen=True)
class Scored:
    """One document's gold and predicted spans."""

    id: str
    text: str
    gold: tuple[Span, ...]
    predicted: tuple[Span, ...]


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": n_gold, "predicted": n_pred, "tp": tp}


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def span_scores(documents: Sequence[Scored], mode: str = "exact") -> dict:
    """Per-label and micro/macro precision, recall and F1 with exact or overlap matching.

    Overlap matching pairs each gold span with at most one predicted span of
    the same label (greedy by position), so one long prediction cannot be
    credited for several gold mentions.
    """
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    for doc in documents:
        n_gold.update(s.label for s in doc.gold)
        n_pred.update(s.label for s in doc.predicted)
        if mode == "exact":
            gold = {(s.start, s.end, s.label) for s in doc.gold}
            tp.update(s.label for s in doc.predicted if (s.start, s.end, s.label) in gold)
            continue
        used: set[int] = set()
        for g in sorted(doc.gold):
            for i, p in enumerate(doc.predicted):
                if i not in used and p.label == g.label and _overlaps(g, p):
                    used.add(i)
                    tp[g.label] += 1
                    break
    labels = label_order(l for l in n_gold | n_pred if n_gold[l] or n_pred[l])
    per_label = {l: _prf(tp[l], n_pred[l], n_gold[l]) for l in labels}
    micro = _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    macro_labels = [l for l in labels if n_gold[l]]
    macro = {
        key: sum(per_label[l][key] for l in macro_labels) / len(macro_labels) if macro_labels else 0.0
        for key in ("precision", "recall", "f1")
    }
    return {"per_label": per_label, "micro": micro, "macro": macro}


def label_order(labels) -> list[str]:
    """The default schema's labels in its order, then any other schema's labels alphabetically."""
    return sorted(set(labels), key=lambda l: (LABEL_NAMES.index(l) if l in LABEL_NAMES else len(LABEL_NAMES), l))


def seqeval_scores(documents: Sequence[Scored]) -> dict:
    """seqeval, strict, in the scheme of model.schema, on the words of each document."""
    y_true, y_pred = [], []
    for doc in documents:
        words = word_tokens(doc.text)
        y_true.append(spans_to_tags(words, doc.gold))
        y_pred.append(spans_to_tags(words, doc.predicted))
    report = classification_report(y_true, y_pred, mode="strict", scheme=getattr(seqeval.scheme, SCHEME), output_dict=True, zero_division=0)
    per_label = {
        label: {
            "precision": float(v["precision"]),
            "recall": float(v["recall"]),
            "f1": float(v["f1-score"]),
            "support": int(v["support"]),
        }
        for label, v in report.items()
        if not label.endswith(" avg")
    }
    summary = {
        name: {k: float(report[key][k2]) for k, k2 in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"))}
        for name, key in (("micro", "micro avg"), ("macro", "macro avg"))
        if key in report
    }
    for name in ("micro", "macro"):
        summary.setdefault(name, {"precision": 0.0, "recall": 0.0, "f1": 0.0})
    return {"per_label": per_label, **summary}


def confusion(documents: Sequence[Scored]) -> dict[str, dict[str, int]]:
    """confusion[gold label][predicted label], pairing spans that share characters.

    A gold span no prediction touches counts under ``(missed)``; a prediction
    no gold span touches, in the ``(spurious)`` row.
    """
    table: dict[str, Counter] = defaultdict(Counter)
    for doc in documents:
        touched_pred: set[int] = set()
        for g in doc.gold:
            hits = [i for i, p in enumerate(doc.predicted) if _overlaps(g, p)]
            if not hits:
                table[g.label][MISSED] += 1
                continue
            best = max(hits, key=lambda i: min(g.end, doc.predicted[i].end) - max(g.start, doc.predicted[i].start))
            table[g.label][doc.predicted[best].label] += 1
            touched_pred.update(hits)
        for i, p in enumerate(doc.predicted):
            if i not in touched_pred:
                table[SPURIOUS][p.label] += 1
    return {gold: dict(row) for gold, row in table.items()}


def errors(documents: Sequence[Scored], context: int = 40) -> dict[str, list[dict]]:
    """Gold spans not predicted exactly (missed) and predictions not in gold (spurious)."""
    missed, spurious = [], []
    for doc in documents:
        gold = {(s.start, s.end, s.label) for s in doc.gold}
        pred = {(s.start, s.end, s.label) for s in doc.predicted}

        def entry(s: Span) -> dict:
            left = doc.text[max(0, s.start - context) : s.start].replace("\n", " ")
            right = doc.text[s.end : s.end + context].replace("\n", " ")
            return {"doc": doc.id, "start": s.start, "end": s.end, "label": s.label, "text": s.text, "context": f"{left}[{s.text}]{right}"}

        missed.extend(entry(s) for s in doc.gold if (s.start, s.end, s.label) not in pred)
        spurious.extend(entry(s) for s in doc.predicted if (s.start, s.end, s.label) not in gold)
    return {"missed": missed, "spurious": spurious}


def evaluate_documents(documents: Sequence[Scored]) -> dict:
    """Everything: seqeval, exact and overlap span scores, confusion, errors."""
    return {
        "documents": len(documents),
        "seqeval": seqeval_scores(documents),
        "exact": span_scores(documents, "exact"),
        "overlap": span_scores(documents, "overlap"),
        "confusion": confusion(documents),
        "errors": errors(documents),
    }


def pair_documents(gold: Iterable, predicted: dict[str, Sequence[Span]]) -> list[Scored]:
    """Scored documents from gold Documents and predicted spans keyed by document id."""
    return [Scored(d.id, d.text, tuple(d.spans), tuple(predicted.get(d.id, ()))) for d in gold]


def agreement(first: Sequence, second: Sequence) -> dict:
    """Inter-annotator agreement: ``second`` scored against ``first`` on the documents both annotated."""
    second_by_id = {d.id: d for d in second}
    common = [d for d in first if d.id in second_by_id]
    scored = pair_documents(common, {i: second_by_id[i].spans for i in second_by_id})
    return evaluate_documents(scored)
