"""Active learning: which unlabelled documents to annotate next.

A document is worth annotating when the model is unsure of it. Its
*uncertainty* is the model's doubt per 100 words, from two readings of the
same forward pass:

- each decoded span's calibrated score ``p`` adds ``1 - |2p - 1|`` (1 at 0.5,
  0 when the model is sure either way): slots the model half believes;
- each word adds ``1 - margin``, its best tag probability minus the second
  best: boundaries and labels the model hesitates over, spans it nearly
  decoded included.

Dividing by the length (never by fewer than ``MIN_WORDS``) ranks documents
by doubt per unit of annotation effort, as the normalised scores of NER
active learning do (Shen et al., 2017), rather than favouring the longest.

*Diversity*: the top N are chosen greedily (maximal marginal relevance):
each pick maximises its scaled uncertainty minus ``diversity`` times its
cosine similarity to the closest document already picked (document vectors:
the encoder's mean last-layer state, centred on the pool's mean), and a
document whose words nearly repeat a picked one (word 5-gram Jaccard at
least ``NEAR_DUPLICATE``) is never picked.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from eventslots.model.inference import Extractor, Reading
from eventslots.model.spans import Span

MIN_WORDS = 50
NEAR_DUPLICATE = 0.8
DEFAULT_DIVERSITY = 0.5
STRATEGIES = ("uncertainty", "random")


@dataclass(frozen=True)
class Suggestion:
    """One document to annotate, with the model's pre-annotation (spans at its own threshold)."""

    rank: int
    id: str
    text: str
    uncertainty: float | None  # None where the strategy was random
    spans: tuple[Span, ...]  # what predict() gives
    candidates: tuple[Span, ...]  # every span the model decoded, kept or not

    def to_dict(self) -> dict:
        return {"rank": self.rank, "id": self.id, "uncertainty": None if self.uncertainty is None else round(self.uncertainty, 4),
                "spans": [s.to_dict() for s in self.spans], "text": self.text}


def labelstudio_tasks(suggestions: Sequence[Suggestion], model_version: str) -> list[dict]:
    """A Label Studio import file's tasks: each suggestion pre-annotated, its rank and uncertainty in ``data.meta``."""
    from eventslots.training.corpus.formats.labelstudio import prediction

    return [{"data": {"id": s.id, "text": s.text, "meta": {"suggested_rank": s.rank, "uncertainty": s.uncertainty}},
             "predictions": [prediction(s.spans, s.candidates, model_version)]} for s in suggestions]


def document_uncertainty(reading: Reading) -> float:
    """The model's doubt per 100 words of a text (see the module's docstring)."""
    words = len(reading.word_margins)
    if not words:
        return 0.0
    span_doubt = sum(1.0 - abs(2.0 * s.score - 1.0) for s in reading.spans)
    word_doubt = float(np.sum(1.0 - reading.word_margins))
    return 100.0 * (span_doubt + word_doubt) / max(words, MIN_WORDS)


def shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def pick_diverse(
    uncertainty: Sequence[float], vectors: np.ndarray, texts: Sequence[str], n: int, diversity: float = DEFAULT_DIVERSITY
) -> list[int]:
    """Indices of ``n`` documents, most useful first: uncertain, unlike each other, no near-duplicates."""
    count = len(uncertainty)
    if count == 0 or n <= 0:
        return []
    scores = np.asarray(uncertainty, dtype=np.float64)
    scaled = scores / scores.max() if scores.max() > 0 else scores
    centred = np.asarray(vectors, dtype=np.float64) - np.asarray(vectors, dtype=np.float64).mean(axis=0)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    unit = np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0)
    closest = np.zeros(count)  # similarity to the closest picked document (none picked yet: 0)
    open_ = np.ones(count, dtype=bool)
    word_sets = [shingles(t) for t in texts]
    picked: list[int] = []
    while len(picked) < n and open_.any():
        value = np.where(open_, scaled - diversity * np.maximum(closest, 0.0), -np.inf)
        best = int(np.argmax(value))
        picked.append(best)
        open_[best] = False
        closest = np.maximum(closest, unit @ unit[best])
        for other in np.flatnonzero(open_):
            if jaccard(word_sets[best], word_sets[other]) >= NEAR_DUPLICATE:
                open_[other] = False
    return picked


def suggest(
    extractor: Extractor,
    documents: Sequence[tuple[str, str]],
    n: int,
    strategy: str = "uncertainty",
    diversity: float = DEFAULT_DIVERSITY,
    seed: int = 1,
    batch: int = 16,
    on_batch=None,
) -> list[Suggestion]:
    """The ``n`` documents of ``documents`` (``(id, text)`` pairs) to annotate next, best first.

    ``strategy="random"`` draws them at random (seeded): the baseline active learning must beat.
    ``on_batch(done, total)`` is called as the pool is read."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if strategy == "random":
        order = random.Random(seed).sample(range(len(documents)), min(n, len(documents)))
        chosen = [documents[i] for i in order]
        decoded = extractor.predict_batch([text for _, text in chosen], min_score=0)
        return [Suggestion(rank, doc_id, text, None, tuple(extractor.keep(every)), tuple(every))
                for rank, ((doc_id, text), every) in enumerate(zip(chosen, decoded), 1)]
    readings: list[Reading] = []
    for start in range(0, len(documents), batch):
        readings += extractor.read_uncertainty([text for _, text in documents[start : start + batch]])
        if on_batch:
            on_batch(min(start + batch, len(documents)), len(documents))
    uncertainty = [document_uncertainty(r) for r in readings]
    vectors = np.stack([r.vector for r in readings]) if readings else np.zeros((0, 1))
    picked = pick_diverse(uncertainty, vectors, [text for _, text in documents], n, diversity)
    suggestions = []
    for rank, index in enumerate(picked, 1):
        every = readings[index].spans
        doc_id, text = documents[index]
        suggestions.append(Suggestion(rank, doc_id, text, uncertainty[index], tuple(extractor.keep(every)), tuple(every)))
    return suggestions
