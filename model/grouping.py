"""Which spans make one incident: a learned pairwise scorer, and the rule baseline it is measured against.

The learned grouping scores every (span, trigger) pair of a text with a
logistic regression over the tagger encoder's span states (their cosine and
element-wise product) and facts of position and context (same sentence,
sentences apart, triggers in between, nearest trigger, whether the two
sentences name the same place or other places and times). Triggers are
clustered first, each joining the earlier incident it matches best on average
(or starting one); then each other span joins every incident whose triggers it
most likely belongs to (at least one). The weights are fitted on the gold incidents by
``eventslots train-incidents`` (``training/grouping.py``) and stored in the
model directory as ``grouping.json``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .schema import LABEL_NAMES
from .sentences import sentence_index, sentence_spans
from .spans import Span
from .store import GROUPING_FILE, write_fitted_file
# A span joins every incident whose triggers it belongs with above JOIN_PROBABILITY; a trigger joins
# the earlier incident whose triggers it matches best on average, above TRIGGER_JOIN. Both chosen on
# real-dev's gold spans for template F1 (README, "Incident records").
JOIN_PROBABILITY = 0.8
TRIGGER_JOIN = 0.4

POSITION_FEATURES = (
    "same sentence", "same paragraph", "1 sentence apart", "2 sentences apart", "3+ sentences apart",
    "log characters apart", "span before trigger", "log triggers between", "nearest trigger",
    "nearest trigger in sentence", "nearest trigger before", "first trigger", "same words",
    "state cosine", "span's sentence has a trigger", "sentences share a place word", "sentences name other places",
    "sentences name other times", "log paragraphs apart",
) + tuple(f"span is {label}" for label in LABEL_NAMES)


@dataclass(frozen=True)
class Layout:
    """Where a text's spans sit: sentence and paragraph of each span, and which spans are triggers."""

    sentences: tuple[int, ...]
    paragraphs: tuple[int, ...]
    triggers: tuple[int, ...]
    places: dict  # sentence -> content words of its LOCATION and TARGET spans
    times: dict  # sentence -> lower-cased texts of its TIME spans

    @classmethod
    def of(cls, text: str, spans: Sequence[Span]) -> "Layout":
        sentences = sentence_spans(text)
        index = tuple(sentence_index(sentences, s.start) for s in spans)
        places: dict[int, set[str]] = {}
        times: dict[int, set[str]] = {}
        for i, span in enumerate(spans):
            if span.label in ("LOCATION", "TARGET"):
                places.setdefault(index[i], set()).update(w for w in re.findall(r"[a-z]{4,}", span.text.lower()))
            elif span.label == "TIME":
                times.setdefault(index[i], set()).add(span.text.lower())
        return cls(
            index,
            tuple(text.count("\n", 0, s.start) for s in spans),
            tuple(i for i, s in enumerate(spans) if s.label == "TRIGGER"),
            places, times,
        )


def pair_features(spans: Sequence[Span], vectors: np.ndarray, layout: Layout, a: int, t: int) -> np.ndarray:
    """Features of span ``a`` and trigger ``t``: the position facts, then the states' product."""
    span, trigger = spans[a], spans[t]
    apart = abs(layout.sentences[a] - layout.sentences[t])
    low, high = sorted((span.start, trigger.start))
    between = sum(1 for k in layout.triggers if k not in (a, t) and low < spans[k].start < high)

    def distance(k: int) -> int:
        return abs(spans[k].start - span.start)

    others = [k for k in layout.triggers if k != a]
    nearest = min(others, key=distance) if others else t
    in_sentence = [k for k in others if layout.sentences[k] == layout.sentences[a]]
    before = [k for k in others if spans[k].start <= span.start]
    u, v = vectors[a], vectors[t]
    norm = float(np.linalg.norm(u) * np.linalg.norm(v)) or 1.0
    position = [
        apart == 0, layout.paragraphs[a] == layout.paragraphs[t], apart == 1, apart == 2, apart >= 3,
        math.log1p(abs(trigger.start - span.start) / 10), span.start < trigger.start, math.log1p(between),
        t == nearest, bool(in_sentence) and t == min(in_sentence, key=distance),
        bool(before) and t == max(before, key=lambda k: spans[k].start), t == layout.triggers[0],
        span.text.lower() == trigger.text.lower(), float(np.dot(u, v)) / norm,
        any(layout.sentences[k] == layout.sentences[a] for k in others),
    ] + _context(layout, layout.sentences[a], layout.sentences[t]) + [
        math.log1p(abs(layout.paragraphs[a] - layout.paragraphs[t])),
    ] + [span.label == label for label in LABEL_NAMES]
    product = (u / (np.linalg.norm(u) or 1.0)) * (v / (np.linalg.norm(v) or 1.0))
    return np.concatenate([np.array(position, dtype=np.float32), product.astype(np.float32)])


def _context(layout: Layout, first: int, second: int) -> list[bool]:
    """Whether two sentences name a common place, different places, different times."""
    if first == second:
        return [True, False, False]
    places_a, places_b = layout.places.get(first, set()), layout.places.get(second, set())
    times_a, times_b = layout.times.get(first, set()), layout.times.get(second, set())
    return [bool(places_a & places_b), bool(places_a and places_b and not places_a & places_b),
            bool(times_a and times_b and not times_a & times_b)]


@dataclass(frozen=True)
class PairScorer:
    """p(span and trigger fill one incident) = sigmoid(w . standardised features + b)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    fitted_on: str = ""
    trigger_join: float = TRIGGER_JOIN
    span_join: float = JOIN_PROBABILITY

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = ((features - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, model_dir: Path) -> Path:
        record = {"features": list(POSITION_FEATURES) + ["state product"], "fitted_on": self.fitted_on, "bias": self.bias,
                  "trigger_join": self.trigger_join, "span_join": self.span_join,
                  "mean": self.mean.tolist(), "scale": self.scale.tolist(), "weights": self.weights.tolist()}
        return write_fitted_file(model_dir, GROUPING_FILE, record)

    @classmethod
    def load(cls, model_dir: Path) -> "PairScorer | None":
        path = Path(model_dir) / GROUPING_FILE
        if not path.exists():
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
        return cls(np.array(record["mean"], dtype=np.float32), np.array(record["scale"], dtype=np.float32),
                   np.array(record["weights"], dtype=np.float32), float(record["bias"]), record.get("fitted_on", ""),
                   record.get("trigger_join", TRIGGER_JOIN), record.get("span_join", JOIN_PROBABILITY))


def learned_grouping(text: str, spans: Sequence[Span], vectors: np.ndarray, scorer: PairScorer) -> list[tuple[list[int], float]]:
    """Incidents as (span indices, mean join probability of their members), in order of first mention."""
    layout = Layout.of(text, spans)
    triggers = layout.triggers
    if not triggers:
        return [(list(range(len(spans))), 1.0)] if spans else []

    def score(a: int, candidates: Sequence[int]) -> np.ndarray:
        return scorer.probabilities(np.stack([pair_features(spans, vectors, layout, a, t) for t in candidates]))

    incident_of: dict[int, int] = {}
    members: list[list[int]] = []
    beliefs: list[list[float]] = []
    for position, t in enumerate(triggers):
        earlier = triggers[:position]
        if earlier:
            p = score(t, earlier)
            # Average link: a trigger joins the incident whose triggers it matches best on average.
            mean: dict[int, list[float]] = {}
            for k, probability in zip(earlier, p):
                mean.setdefault(incident_of[k], []).append(float(probability))
            incident, best = max(((i, float(np.mean(ps))) for i, ps in mean.items()), key=lambda pair: pair[1])
            if best > scorer.trigger_join:
                incident_of[t] = incident
                members[incident].append(t)
                beliefs[incident].append(best)
                continue
        incident_of[t] = len(members)
        members.append([t])
        beliefs.append([1.0])
    for a in range(len(spans)):
        if a in incident_of:
            continue
        p = score(a, triggers)
        per_incident: dict[int, float] = {}
        for t, probability in zip(triggers, p):
            incident = incident_of[t]
            per_incident[incident] = max(per_incident.get(incident, 0.0), float(probability))
        joined = [i for i, probability in per_incident.items() if probability > scorer.span_join]
        if not joined:  # every slot span fills some incident: the likeliest one
            joined = [max(per_incident, key=per_incident.get)]
        for incident in joined:
            members[incident].append(a)
            beliefs[incident].append(per_incident[incident])
    return _in_order([(sorted(m), float(np.mean(b))) for m, b in zip(members, beliefs)])


def rule_grouping(text: str, spans: Sequence[Span]) -> list[tuple[list[int], float]]:
    """The baseline: one incident per sentence that holds a trigger; the spans of a sentence without
    one join the closest such sentence before it (or, before the first, the first one after)."""
    if not spans:
        return []
    layout = Layout.of(text, spans)
    anchors = sorted({layout.sentences[t] for t in layout.triggers})
    if not anchors:
        return [(list(range(len(spans))), 1.0)]
    members: dict[int, list[int]] = {a: [] for a in anchors}
    for index, sentence in enumerate(layout.sentences):
        before = [a for a in anchors if a <= sentence]
        members[before[-1] if before else anchors[0]].append(index)
    return _in_order([(m, 1.0) for m in members.values() if m])


def _in_order(incidents: list[tuple[list[int], float]]) -> list[tuple[list[int], float]]:
    return sorted(incidents, key=lambda incident: incident[0][0])
