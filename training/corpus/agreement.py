"""Double annotation: draw a sample to annotate again, and score two annotations against each other."""

from __future__ import annotations

import math
import random
from typing import Sequence

from .documents import Document
from .formats import markup
from ..metrics import agreement


def draw_sample(documents: Sequence[Document], fraction: float, seed: int) -> list[Document]:
    """A reproducible random sample of ``ceil(fraction * n)`` documents, in id order."""
    ordered = sorted(documents, key=lambda d: d.id)
    size = min(len(ordered), math.ceil(fraction * len(ordered)))
    return sorted(random.Random(seed).sample(ordered, size), key=lambda d: d.id)


def blank_markup(documents: Sequence[Document]) -> str:
    """The sample as markup with no spans and no metadata, for an annotator who must not see the first pass."""
    return markup.render([Document(d.id, d.text, (), d.source, {}) for d in documents])


def score_agreement(first: Sequence[Document], second: Sequence[Document]) -> dict:
    return agreement(first, second)
