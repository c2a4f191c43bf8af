"""The slot schema: the one place the label set is declared.

Everything else (IOB2 tags, id2label, colours, the label table in the docs and
the UI legend) is derived from ``LABELS`` so that adding or renaming a slot is
a one-line change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlotLabel:
    name: str
    meaning: str
    examples: tuple[str, ...]
    colour: str


LABELS: tuple[SlotLabel, ...] = (
    SlotLabel(
        "TRIGGER",
        "the word or phrase that says an attack or an interception happened",
        ("attacked", "shot down", "intercepted", "strike", "assassination"),
        "#e6194b",
    ),
    SlotLabel(
        "ATTACKER",
        "who carried out, launched, or claimed the attack (also unknown or alleged)",
        ("unknown persons", "pro-Iran factions", "Iran", "US (in 'a US drone strike')"),
        "#f58231",
    ),
    SlotLabel(
        "WEAPON",
        "the instrument, with its number and modifiers",
        ("drone", "two booby-trapped drones", "3 missiles", "one rocket round"),
        "#911eb4",
    ),
    SlotLabel(
        "TARGET",
        "the place, installation, vehicle, person or group aimed at",
        ("Ain Al-Asad air base", "oil refinery", "American interests", "logistics convoys"),
        "#4363d8",
    ),
    SlotLabel(
        "LOCATION",
        "where the attack happened, when that is not the target itself",
        ("Anbar province", "Erbil", "western Iraq", "Hamdaniya district"),
        "#3cb44b",
    ),
    SlotLabel(
        "TIME",
        "when the attack happened",
        ("yesterday evening", "Thursday", "this morning", "January 3, 2020"),
        "#42d4f4",
    ),
    SlotLabel(
        "INTERCEPTOR",
        "who or what intercepted, shot down or thwarted the weapon",
        ("defense systems", "Iraqi air defense", "US Air Defense"),
        "#bfef45",
    ),
    SlotLabel(
        "CASUALTIES",
        "who or how many people were killed or injured, or that no one was",
        ("no casualties", "no injuries", "four US troops", "no one"),
        "#f032e6",
    ),
    SlotLabel(
        "DAMAGE",
        "what was damaged or destroyed, or that nothing was",
        ("damage", "no damage", "hangar", "ISIL vehicle"),
        "#9a6324",
    ),
)

LABEL_NAMES: tuple[str, ...] = tuple(label.name for label in LABELS)
# The tagging scheme, declared once: IOB2 (seqeval's name for it, which scoring uses). Every span
# starts with B-; I- only continues a span of the same label. Tags, decoding, the CoNLL format and
# partial labels all derive from the names and rules below.
SCHEME = "IOB2"
OUTSIDE, BEGIN, INSIDE = "O", "B", "I"
PREFIXES = (BEGIN, INSIDE)
TAGS: tuple[str, ...] = (OUTSIDE,) + tuple(
    f"{prefix}-{name}" for name in LABEL_NAMES for prefix in PREFIXES
)
ID2LABEL: dict[int, str] = dict(enumerate(TAGS))
LABEL2ID: dict[str, int] = {tag: i for i, tag in ID2LABEL.items()}
COLOURS: dict[str, str] = {label.name: label.colour for label in LABELS}


def begin_tag(label: str) -> str:
    return f"{BEGIN}-{label}"


def inside_tag(label: str) -> str:
    return f"{INSIDE}-{label}"


def tags_of(label: str) -> tuple[str, ...]:
    """Every tag a word of a ``label`` span may carry."""
    return tuple(f"{prefix}-{label}" for prefix in PREFIXES)


def continues(tag: str, previous: str | None) -> bool:
    """Whether ``tag`` continues the span ``previous`` is in (an I- of the same label)."""
    prefix, label = split_tag(tag)
    return prefix == INSIDE and previous is not None and split_tag(previous)[1] == label


def may_follow(tag: str, previous: str | None) -> bool:
    """Whether the scheme allows ``tag`` after ``previous`` (None: at the start)."""
    return split_tag(tag)[0] != INSIDE or continues(tag, previous)


def is_valid_tag(tag: str) -> bool:
    return tag in TAGS


def split_tag(tag: str) -> tuple[str, str | None]:
    """``"B-WEAPON"`` -> ``("B", "WEAPON")``; ``"O"`` -> ``("O", None)``."""
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, _, label = tag.partition("-")
    return prefix, label


def markdown_table() -> str:
    """The label table for the README and the guideline, derived from LABELS."""
    rows = ["| label | what it marks | examples |", "|---|---|---|"]
    for label in LABELS:
        examples = ", ".join(label.examples)
        rows.append(f"| {label.name} | {label.meaning} | {examples} |")
    return "\n".join(rows)
