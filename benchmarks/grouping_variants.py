"""Incident grouping variants against the shipped one, on real-dev (template F1; README "Incident records").

The shipped grouping (``model/grouping.py``) scores (span, trigger) pairs with
one logistic regression, clusters triggers by average link, then attaches the
other spans. Each variant here changes one part and is scored on real-dev's
predicted spans (the model's default reading) and on its gold spans:

* ``refit``: the shipped features refitted here (checks this script against the model's own fit);
* ``interactions``: plus each position fact crossed with the span's label;
* ``trigger scorer``: a second logistic regression, fitted on trigger pairs only, for the trigger clustering;
* ``trigger scorer + cues``: that, plus cue features (a definite article or "another"
  before the trigger, cue words in its sentence, plural triggers, the same
  word stem, and whether the two sentences share or differ in attackers,
  weapons, targets, places, times and casualties);
* ``boosted trigger scorer + cues``: the same features in gradient-boosted trees;
* ``max link``: the trigger scorer, a trigger joining the incident of its single best match;
* ``annotators' trigger clusters``: triggers grouped as the gold groups them,
  the other spans attached by the shipped scorer (gold spans only: the
  ceiling of better trigger clustering).

Each variant is shown at trigger-join thresholds 0.3, 0.4 and 0.5. The
training pairs come from the same documents as ``eventslots train-incidents``,
read by the model's fp32 tagger (several minutes on 2 cores).

Usage::

    python benchmarks/grouping_variants.py [--model models/default]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np

from eventslots.model.grouping import POSITION_FEATURES, Layout, pair_features
from eventslots.model.incidents import build_incidents
from eventslots.model.inference import Extractor
from eventslots.model.schema import LABEL_NAMES
from eventslots.model.sentences import sentence_spans
from eventslots.training.corpus import load_documents
from eventslots.training.corpus.real import split_documents
from eventslots.training.grouping import DEFAULT_C, fit_scorer, grouped_documents
from eventslots.training.incident_metrics import template_scores

RESULTS = Path(__file__).resolve().parent / "results"
JOINS = (0.3, 0.4, 0.5)
SLOTS = ("ATTACKER", "WEAPON", "TARGET", "LOCATION", "TIME", "CASUALTIES")
DEFINITE = {"the", "this", "that", "these", "those", "its", "their"}
INDEFINITE = {"a", "an", "another", "other", "second", "new", "separate", "earlier", "previous", "similar", "third", "two", "three", "several", "first"}
CUES = re.compile(r"\b(another|also|other|earlier|previous|second|separate|last (week|month|year)|since|similar|meanwhile|in addition)\b", re.I)
CROSSED = ("same sentence", "1 sentence apart", "2 sentences apart", "3+ sentences apart", "nearest trigger", "nearest trigger in sentence",
           "nearest trigger before", "log triggers between", "span before trigger", "same paragraph", "sentences name other times",
           "sentences name other places")
POSITIONS = len(POSITION_FEATURES)
CROSSED_INDEX = [POSITION_FEATURES.index(name) for name in CROSSED]
LABEL_INDEX = [POSITION_FEATURES.index(f"span is {label}") for label in LABEL_NAMES]


def read(extractor: Extractor, documents, gold: bool) -> list:
    readings = []
    for first in range(0, len(documents), 16):
        part = documents[first : first + 16]
        readings += extractor.read_batch([d.text for d in part], vectors=True, gold=[d.spans for d in part] if gold else None)
    return readings


class Context:
    """Per document: the layout, and each sentence's slot words by label (for the cue features)."""

    def __init__(self, text, spans):
        self.text, self.layout, self.sentences = text, Layout.of(text, spans), sentence_spans(text)
        self.words: dict = {}
        for i, span in enumerate(spans):
            if span.label in SLOTS:
                self.words.setdefault((self.layout.sentences[i], span.label), set()).update(re.findall(r"[a-z0-9]{3,}", span.text.lower()))


def crossed(features: np.ndarray) -> np.ndarray:
    position = features[:POSITIONS]
    return np.concatenate([position, np.outer(position[LABEL_INDEX], position[CROSSED_INDEX]).ravel(), features[POSITIONS:]])


def cues(context: Context, spans, a: int, t: int) -> np.ndarray:
    span, trigger = spans[a], spans[t]
    before = re.findall(r"[A-Za-z]+", context.text[max(0, span.start - 20) : span.start])
    previous = before[-1].lower() if before else ""
    sa, st = context.layout.sentences[a], context.layout.sentences[t]
    sentence = context.text[slice(*context.sentences[sa])] if sa < len(context.sentences) else ""

    def plural(text):
        return bool(re.search(r"[a-z]s$", text)) and not text.endswith("ss")

    values = [previous in DEFINITE, previous in INDEFINITE, bool(CUES.search(sentence)), plural(span.text), plural(trigger.text),
              span.text.lower()[:5] == trigger.text.lower()[:5]]
    for label in SLOTS:
        mine, theirs = context.words.get((sa, label), set()), context.words.get((st, label), set())
        values += [bool(mine & theirs), bool(mine and theirs and not mine & theirs), bool(mine) != bool(theirs)]
    return np.array(values, dtype=np.float32)


def cue_features(context, spans, vectors, a, t):
    return np.concatenate([shipped_features(context, spans, vectors, a, t), cues(context, spans, a, t)])


def group(text, spans, vectors, span_probability, trigger_probability, trigger_join, span_join, link=np.mean, oracle=False):
    """``model.grouping.learned_grouping`` with its parts replaceable."""
    context = Context(text, spans)
    triggers = context.layout.triggers
    if not triggers:
        return [(list(range(len(spans))), 1.0)] if spans else []
    incident_of, members = {}, []
    for position, t in enumerate(triggers):
        earlier = triggers[:position]
        if oracle:
            same = [incident_of[k] for k in earlier if set(spans[k].event) & set(spans[t].event)]
            if same:
                incident_of[t] = same[0]
                members[same[0]].append(t)
                continue
        elif earlier:
            p = trigger_probability(context, spans, vectors, t, earlier)
            by_incident: dict = {}
            for k, probability in zip(earlier, p):
                by_incident.setdefault(incident_of[k], []).append(float(probability))
            incident, best = max(((i, float(link(ps))) for i, ps in by_incident.items()), key=lambda pair: pair[1])
            if best > trigger_join:
                incident_of[t] = incident
                members[incident].append(t)
                continue
        incident_of[t] = len(members)
        members.append([t])
    for a in range(len(spans)):
        if a in incident_of:
            continue
        p = span_probability(context, spans, vectors, a, triggers)
        per_incident: dict = {}
        for t, probability in zip(triggers, p):
            per_incident[incident_of[t]] = max(per_incident.get(incident_of[t], 0.0), float(probability))
        joined = [i for i, probability in per_incident.items() if probability > span_join] or [max(per_incident, key=per_incident.get)]
        for incident in joined:
            members[incident].append(a)
    return sorted([(sorted(m), 1.0) for m in members], key=lambda incident: incident[0][0])


def shipped_features(context, spans, vectors, a, t):
    return pair_features(spans, vectors, context.layout, a, t)


def crossed_features(context, spans, vectors, a, t):
    return crossed(shipped_features(context, spans, vectors, a, t))


def probability_of(predict, features):
    """p(span ``a`` and each candidate trigger fill one incident), by ``predict`` over ``features``."""
    def probability(context, spans, vectors, a, candidates):
        return predict(np.stack([features(context, spans, vectors, a, t) for t in candidates]))
    return probability


def pairs(training, features, triggers_only: bool):
    rows, labels = [], []
    for document, (spans, vectors) in training:
        context = Context(document.text, spans)
        layout = context.layout
        for a in (layout.triggers if triggers_only else range(len(spans))):
            for t in layout.triggers:
                if t == a or (triggers_only and spans[t].start >= spans[a].start):
                    continue
                rows.append(features(context, spans, vectors, a, t))
                labels.append(bool(set(spans[a].event) & set(spans[t].event)))
    return np.stack(rows), np.array(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/default")
    args = parser.parse_args()
    started = time.perf_counter()
    documents = load_documents()
    dev = [d for d in split_documents(documents, "real-dev") if all(s.event for s in d.spans)]
    shipped = Extractor.load(args.model)
    readings = {"predicted": read(shipped, dev, gold=False), "gold": read(shipped, dev, gold=True)}
    train_documents = grouped_documents(documents)
    training = list(zip(train_documents, read(Extractor.load(args.model, calibrated=False, backend="torch"), train_documents, gold=True)))
    print(f"read {len(train_documents)} training and {len(dev)} real-dev documents ({time.perf_counter() - started:.0f} s)", flush=True)

    base = shipped.grouping
    attach = probability_of(base.probabilities, shipped_features)
    refit = fit_scorer(*pairs(training, shipped_features, triggers_only=False), DEFAULT_C)
    interactions = fit_scorer(*pairs(training, crossed_features, triggers_only=False), DEFAULT_C)
    trigger_scorer = fit_scorer(*pairs(training, shipped_features, triggers_only=True), DEFAULT_C)
    cue_pairs, cue_labels = pairs(training, cue_features, triggers_only=True)
    cue_scorer = fit_scorer(cue_pairs, cue_labels, DEFAULT_C)
    from sklearn.ensemble import HistGradientBoostingClassifier

    boosted = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(cue_pairs, cue_labels)

    refitted = probability_of(refit.probabilities, shipped_features)
    crossed_probability = probability_of(interactions.probabilities, crossed_features)
    trigger_pair_probability = probability_of(trigger_scorer.probabilities, shipped_features)
    variants = {
        "shipped": (attach, attach, np.mean, False),
        "refit": (refitted, refitted, np.mean, False),
        "interactions": (crossed_probability, crossed_probability, np.mean, False),
        "trigger scorer": (attach, trigger_pair_probability, np.mean, False),
        "trigger scorer + cues": (attach, probability_of(cue_scorer.probabilities, cue_features), np.mean, False),
        "boosted trigger scorer + cues": (attach, probability_of(lambda rows: boosted.predict_proba(rows)[:, 1], cue_features), np.mean, False),
        "max link": (attach, trigger_pair_probability, np.max, False),
        "annotators' trigger clusters": (attach, None, np.mean, True),
    }
    rows = []
    for name, (span_probability, trigger_probability, link, oracle) in variants.items():
        for join in ((base.trigger_join,) if oracle else JOINS):
            row = {"variant": name, "trigger_join": join}
            for spans in ("predicted", "gold"):
                if oracle and spans == "predicted":
                    continue  # the annotators' clusters exist only for their own spans
                records = {d.id: build_incidents(d.text, s, group(d.text, s, v, span_probability, trigger_probability, join, base.span_join, link, oracle),
                                                 d.meta.get("published")) for d, (s, v) in zip(dev, readings[spans])}
                scores = template_scores(dev, records)
                row[spans] = {"f1": scores["fillers"]["f1"], "incidents": scores["incidents"]["predicted"], "gold_incidents": scores["incidents"]["gold"]}
            rows.append(row)
            print(json.dumps(row), flush=True)

    def cell(row, spans):
        return f"{row[spans]['f1']:.3f} ({row[spans]['incidents']})" if spans in row else ""

    gold_incidents = rows[0]["gold"]["gold_incidents"]
    lines = [f"real-dev, {len(dev)} documents, {gold_incidents} gold incidents; model {Path(args.model).resolve().name}; "
             f"shipped joins: trigger {base.trigger_join}, span {base.span_join}", "",
             "| variant | trigger join | template F1, predicted spans (incidents) | template F1, gold spans (incidents) |", "|---|---|---|---|"]
    lines += [f"| {r['variant']} | {r['trigger_join']} | {cell(r, 'predicted')} | {cell(r, 'gold')} |" for r in rows]
    (RESULTS / "grouping-variants-real-dev.json").write_text(json.dumps({"model": str(Path(args.model).resolve()), "rows": rows}, indent=1) + "\n")
    (RESULTS / "grouping-variants-real-dev.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
