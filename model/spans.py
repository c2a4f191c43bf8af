"""The span: one tagged slot mention, in character offsets of the original text."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class Span:
    """A slot mention: ``text == document[start:end]`` (end exclusive).

    Gold spans from annotation files carry ``score=1.0``; predicted spans carry
    the model's mean probability for the span's tags.
    """

    start: int
    end: int
    label: str
    text: str
    score: float = 1.0

    def to_hf(self) -> dict:
        """The shape of ``transformers.pipeline("token-classification", aggregation_strategy=...)``."""
        return {
            "entity_group": self.label,
            "score": self.score,
            "word": self.text,
            "start": self.start,
            "end": self.end,
        }

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return f"[{self.start}:{self.end} {self.label} {self.text!r}]"
