"""Incident records: the slots of one attack grouped together, with their derived values.

``extract_incidents(text)`` tags the text, groups its spans into incidents
(``model/grouping.py``) and derives each record's date, casualty counts,
interception and damage (``model/normalise.py``). Every value keeps the spans
it came from, so a reader can check a row against the highlighted text.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Sequence

from .normalise import Count, TimeValue, as_date, casualty_counts, damaged, dateline, intercepted, resolve_time
from .schema import LABEL_NAMES
from .sentences import sentence_spans
from .spans import Span

log = logging.getLogger(__name__)

# The columns of a record's table row (CSV, the app), derived from the schema's labels.
# Derived values are lower case, each slot's spans take their label's name.
ROW_FIELDS = ("incident", "time", "killed", "injured", "intercepted", "damaged", "confidence") + tuple(LABEL_NAMES)


@dataclass(frozen=True)
class Incident:
    """One attack of a text. ``spans`` holds every span of the incident (a span shared by two incidents
    is in both); ``slots`` gives them by label. Derived values are None where the text does not say."""

    id: int
    spans: tuple[Span, ...]
    time: TimeValue | None = None
    killed: Count | None = None
    injured: Count | None = None
    intercepted: bool = False
    damaged: bool | None = None
    confidence: float = 1.0
    evidence: dict = field(default_factory=dict, compare=False)  # value name -> the spans it came from

    @property
    def slots(self) -> dict[str, list[Span]]:
        return {label: [s for s in self.spans if s.label == label] for label in LABEL_NAMES if any(s.label == label for s in self.spans)}

    def to_dict(self) -> dict:
        return {
            "incident": self.id,
            "time": self.time.iso if self.time else None,
            "killed": self.killed.to_dict() if self.killed else None,
            "injured": self.injured.to_dict() if self.injured else None,
            "intercepted": self.intercepted,
            "damaged": self.damaged,
            "confidence": round(self.confidence, 4),
            "slots": {label: [s.text for s in spans] for label, spans in self.slots.items()},
            "spans": [s.to_dict() for s in self.spans],
            "evidence": {name: [[s.start, s.end] for s in spans] for name, spans in self.evidence.items()},
        }

    def to_row(self) -> dict:
        """A flat row (``ROW_FIELDS``): values, then each slot's surface strings joined by " | "."""

        def count(value: Count | None) -> str:
            return "" if value is None else f"{'>=' if value.at_least else ''}{value.count}"

        row = {
            "incident": self.id, "time": self.time.iso if self.time else "", "killed": count(self.killed),
            "injured": count(self.injured), "intercepted": "yes" if self.intercepted else "no",
            "damaged": {True: "yes", False: "no", None: ""}[self.damaged], "confidence": f"{self.confidence:.2f}",
        }
        for label in LABEL_NAMES:
            row[label] = " | ".join(dict.fromkeys(s.text for s in self.spans if s.label == label))
        return row


def build_incidents(
    text: str, spans: Sequence[Span], groups: Sequence[tuple[Sequence[int], float]], published: str | date | datetime | None = None
) -> list[Incident]:
    """Records from grouped spans: ``groups`` holds (span indices, grouping belief) per incident."""
    base = as_date(published) or dateline(text)
    sentences = sentence_spans(text)
    incidents: list[Incident] = []
    memberships = Counter(i for members, _ in groups for i in members)
    for number, (members, belief) in enumerate(groups, start=1):
        own = tuple(sorted(spans[i] for i in members))
        time = resolve_time(own, base, next((i.time for i in reversed(incidents) if i.time), None), text)
        killed, injured = casualty_counts(text, own, sentences, shared=frozenset(spans[i] for i in members if memberships[i] > 1))
        was_intercepted, interception = intercepted(own)
        was_damaged, damage = damaged(text, own, sentences)
        triggers = [s.score for s in own if s.label == "TRIGGER"]
        evidence = {
            name: spans_ for name, spans_ in (
                ("time", (time.span,) if time else ()), ("killed", killed.spans if killed else ()),
                ("injured", injured.spans if injured else ()), ("intercepted", interception), ("damaged", damage),
            ) if spans_
        }
        incidents.append(Incident(
            number, own, time, killed, injured, was_intercepted, was_damaged,
            # The incident is right when its trigger is and its members belong together.
            confidence=(max(triggers) if triggers else min(s.score for s in own)) * belief,
            evidence=evidence,
        ))
    return incidents


def has_incident_slots(schema) -> bool:
    """Whether a model of ``schema`` tags the attack slots that incident records are built from."""
    return set(LABEL_NAMES) <= set(schema.label_names)


def check_incident_schema(schema) -> None:
    if not has_incident_slots(schema):
        raise ValueError(f"incident records are built from the attack schema's slots ({', '.join(LABEL_NAMES)}); "
                         f"this model tags the {schema.name} schema ({', '.join(schema.label_names)})")


def extract_incidents(text: str, published: str | date | datetime | None = None, extractor=None, grouping: str = "learned",
                      min_score: float | None = None) -> list[Incident]:
    """Incident records of ``text``: one per attack, in order of first mention.

    ``published`` (an ISO date) resolves relative dates ("Thursday"); without
    it a dateline that opens the text is used, and a date the text does not
    fix is None. ``grouping="rules"`` uses the rule baseline instead of the
    grouping learned from the gold incidents; ``min_score`` is ``predict``'s.
    """
    return analyse_batch([text], published, extractor, grouping, min_score=min_score)[0][1]


def analyse_batch(
    texts: Sequence[str], published: str | date | datetime | None | Sequence[str | date | datetime | None] = None, extractor=None,
    grouping: str = "learned", spans: Sequence[Sequence[Span]] | None = None, min_score: float | None = None,
) -> list[tuple[list[Span], list[Incident]]]:
    """(spans, incident records) for each text, from one reading (windows share batches).
    ``published`` is one date for every text or a list with one per text (a corpus's own dates).
    ``spans`` groups given spans (gold ones, to measure the grouping alone) instead of predicting them."""
    from .grouping import learned_grouping, rule_grouping
    from .inference import default_extractor

    if grouping not in ("learned", "rules"):
        raise ValueError(f"grouping must be 'learned' or 'rules', not {grouping!r}")
    # A bad date fails here, before any reading.
    if isinstance(published, (list, tuple)):
        if len(published) != len(texts):
            raise ValueError(f"published holds {len(published)} dates for {len(texts)} texts")
        bases = [as_date(p) for p in published]
    else:
        bases = [as_date(published)] * len(texts)
    extractor = extractor or default_extractor()
    check_incident_schema(extractor.schema)
    scorer = extractor.grouping if grouping == "learned" else None
    if grouping == "learned" and scorer is None:
        log.warning("this model has no learned incident grouping (run `eventslots train-incidents`); using the rule baseline")
    readings = extractor.read_batch(texts, min_score, vectors=scorer is not None, gold=spans)
    results = []
    for text, base, (found, vectors) in zip(texts, bases, readings):
        groups = learned_grouping(text, found, vectors, scorer) if scorer is not None else rule_grouping(text, found)
        results.append((found, build_incidents(text, found, groups, base)))
    return results
