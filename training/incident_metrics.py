"""Scoring incident records: MUC-4-style template scores, derived values, and grouping agreement.

Template score (after MUC-4's scorer): a document's predicted and gold
incidents are aligned one to one so that the number of matched slot fillers
is largest (``scipy.optimize.linear_sum_assignment``); a filler matches when
its span's start, end and label are the gold one's. Precision is matched
fillers over predicted fillers, recall over gold fillers, summed over
documents, so a spurious or missed incident costs all its fillers.

Value scores count, over the gold incidents that state a value, how many an
aligned predicted incident gives exactly (a count and its ``at_least`` both).

Grouping agreement between two annotations of the same spans uses two
standard coreference measures that allow a span in several incidents:
pairwise link F1 (span pairs sharing an incident) and B-cubed.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from eventslots.model.incidents import Incident

VALUE_FIELDS = ("time", "killed", "injured", "intercepted")

Filler = tuple[int, int, str]


def fillers(incident) -> set[Filler]:
    spans = incident.spans if isinstance(incident, Incident) else incident
    return {(s.start, s.end, s.label) for s in spans}


def gold_incidents(document) -> list[list]:
    """The gold incidents of a document: per incident id, its spans (a span in several is in each)."""
    ids = sorted({e for s in document.spans for e in s.event})
    return [[s for s in document.spans if event in s.event] for event in ids]


def align(gold: Sequence[set[Filler]], predicted: Sequence[set[Filler]]) -> list[tuple[int, int, int]]:
    """(gold index, predicted index, matched fillers) for the one-to-one alignment with most matches."""
    from scipy.optimize import linear_sum_assignment

    if not gold or not predicted:
        return []
    matches = np.array([[len(g & p) for p in predicted] for g in gold])
    rows, columns = linear_sum_assignment(-matches)
    return [(int(r), int(c), int(matches[r, c])) for r, c in zip(rows, columns) if matches[r, c] > 0]


def _prf(matched: int, predicted: int, gold: int) -> dict:
    precision = matched / predicted if predicted else 0.0
    recall = matched / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "matched": matched, "predicted": predicted, "gold": gold}


def _value(incident: Incident, field: str):
    value = getattr(incident, field)
    if field == "time":
        return value.iso if value else None
    if field in ("killed", "injured"):
        return value.to_dict() if value else None
    return value


def template_scores(documents: Sequence, predicted: dict[str, list[Incident]]) -> dict:
    """Template precision, recall and F1 of ``predicted`` (records per document id) against the gold
    incidents, and exact-match rates of the derived values against ``meta.incidents`` where given."""
    matched = n_predicted = n_gold = 0
    incidents_matched = incidents_predicted = incidents_gold = 0
    values: dict[str, list[int]] = {f: [0, 0] for f in VALUE_FIELDS}
    for document in documents:
        gold = gold_incidents(document)
        records = predicted.get(document.id, [])
        gold_sets = [fillers(g) for g in gold]
        predicted_sets = [fillers(r) for r in records]
        pairs = align(gold_sets, predicted_sets)
        matched += sum(m for _, _, m in pairs)
        n_predicted += sum(len(p) for p in predicted_sets)
        n_gold += sum(len(g) for g in gold_sets)
        incidents_matched += len(pairs)
        incidents_predicted += len(records)
        incidents_gold += len(gold)
        gold_values = {v["event"]: v for v in document.meta.get("incidents", [])}
        event_ids = sorted({e for s in document.spans for e in s.event})
        partner = {g: p for g, p, _ in pairs}
        for index, event in enumerate(event_ids):
            truth = gold_values.get(event)
            if truth is None:
                continue
            for field in VALUE_FIELDS:
                expected = truth.get(field)
                if field != "intercepted" and expected is None:
                    continue  # only incidents whose text states the value count
                values[field][1] += 1
                if index in partner and _value(records[partner[index]], field) == expected:
                    values[field][0] += 1
    return {
        "documents": len(documents),
        "fillers": _prf(matched, n_predicted, n_gold),
        "incidents": {"matched": incidents_matched, "predicted": incidents_predicted, "gold": incidents_gold},
        "values": {f: {"right": r, "stated": n, "rate": r / n if n else None} for f, (r, n) in values.items()},
    }


def incident_records(extractor, documents: Sequence, gold_spans: bool, chunk: int = 16) -> dict[str, dict[str, list]]:
    """Per grouping ("learned", where the model has one, and "rules"): each document's incident records,
    from one reading of the documents (their gold spans with ``gold_spans``, else predicted ones)."""
    from eventslots.model.grouping import learned_grouping, rule_grouping
    from eventslots.model.incidents import build_incidents

    groupings = {"rules": None} if extractor.grouping is None else {"learned": extractor.grouping, "rules": None}
    records: dict[str, dict[str, list]] = {name: {} for name in groupings}
    if gold_spans:  # the gold grouping too: what the derived values score when the grouping is right
        records["gold"] = {d.id: build_incidents(d.text, list(d.spans), _gold_groups(d), d.meta.get("published")) for d in documents}
    for first in range(0, len(documents), chunk):
        part = documents[first : first + chunk]
        readings = extractor.read_batch([d.text for d in part], vectors=extractor.grouping is not None,
                                        gold=[d.spans for d in part] if gold_spans else None)
        for document, (spans, vectors) in zip(part, readings):
            published = document.meta.get("published")
            for name, scorer in groupings.items():
                groups = learned_grouping(document.text, spans, vectors, scorer) if scorer else rule_grouping(document.text, spans)
                records[name][document.id] = build_incidents(document.text, spans, groups, published)
    return records


def _gold_groups(document) -> list[tuple[list[int], float]]:
    events = sorted({e for s in document.spans for e in s.event})
    return [([i for i, s in enumerate(document.spans) if event in s.event], 1.0) for event in events]


# --- grouping agreement --------------------------------------------------------------------------


def _partners(spans: Sequence) -> dict[Filler, set[Filler]]:
    """Each span's incident mates (itself included), over spans with incident ids."""
    keyed = [((s.start, s.end, s.label), set(s.event)) for s in spans if s.event]
    return {k: {k2 for k2, e2 in keyed if e & e2} for k, e in keyed}


def grouping_agreement(first: Sequence, second: Sequence) -> dict:
    """Link F1 and B-cubed of ``second``'s grouping against ``first``'s, on the spans both annotated."""
    by_id = {d.id: d for d in second}
    links = [0, 0, 0]  # agreed, first's, second's
    cubed_p, cubed_r, spans = 0.0, 0.0, 0
    documents = 0
    for document in first:
        other = by_id.get(document.id)
        if other is None:
            continue
        documents += 1
        shared = {(s.start, s.end, s.label) for s in document.spans} & {(s.start, s.end, s.label) for s in other.spans}
        a = {k: v & shared for k, v in _partners(document.spans).items() if k in shared}
        b = {k: v & shared for k, v in _partners(other.spans).items() if k in shared}
        common = a.keys() & b.keys()
        pairs_a = {(x, y) for x in common for y in a[x] if x < y and y in common}
        pairs_b = {(x, y) for x in common for y in b[x] if x < y and y in common}
        links[0] += len(pairs_a & pairs_b)
        links[1] += len(pairs_a)
        links[2] += len(pairs_b)
        for key in common:
            overlap = len(a[key] & b[key])
            cubed_p += overlap / len(b[key])
            cubed_r += overlap / len(a[key])
            spans += 1
    link = _prf(links[0], links[2], links[1])
    precision, recall = (cubed_p / spans, cubed_r / spans) if spans else (0.0, 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"documents": documents, "spans": spans, "links": link,
            "b_cubed": {"precision": precision, "recall": recall, "f1": f1}}
