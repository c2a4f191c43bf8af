"""The span: one tagged slot mention, in character offsets of the original text."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Span:
    """A slot mention: ``text == document[start:end]`` (end exclusive).

    Gold spans from annotation files carry ``score=1.0``; predicted spans carry
    the model's mean probability for the span's tags. ``event`` holds the
    incident ids the span fills a slot of (the spec's "Incidents"; empty where
    a corpus has none); it takes no part in comparing spans, so scoring stays
    a matter of offsets and labels.
    """

    start: int
    end: int
    label: str
    text: str
    score: float = 1.0
    event: tuple[int, ...] = field(default=(), compare=False)

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
        record = {"start": self.start, "end": self.end, "label": self.label, "text": self.text, "score": self.score}
        if self.event:
            record["event"] = event_json(self.event)
        return record

    def describe(self) -> str:
        return f"[{self.start}:{self.end} {self.label} {self.text!r}]"


def event_json(event: tuple[int, ...]) -> int | list[int]:
    """The spec's form of incident ids: one id as a number, several as a list."""
    return event[0] if len(event) == 1 else list(event)


def event_ids(value: object) -> tuple[int, ...]:
    """Incident ids from their JSON form (absent, a number or a list); validation checks the form first."""
    if value is None:
        return ()
    return (value,) if isinstance(value, int) else tuple(sorted(set(value)))
