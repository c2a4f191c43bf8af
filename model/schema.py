"""The slot schema: which labels a model tags, declared once in a schema file.

A schema file is JSON (the default one is ``model/schemas/attack.json``, today's nine attack slots)::

    {"name": "attack", "description": "...", "guideline_rules": true,
     "labels": [{"name": "TRIGGER", "description": "...", "colour": "#e6194b", "examples": ["attacked"]}, ...]}

Everything else is derived from it: the IOB2 tags, ``id2label``, colours, the label table in the
docs, the app's legend and the Label Studio config. ``eventslots train --schema FILE`` trains on
another schema; the model directory carries its ``schema.json``, so every command that loads the
model reads the schema from there (``Schema.for_model``). ``guideline_rules`` says whether
annotations follow the project guideline's span style (no leading determiner, no trailing
punctuation, no parenthesis); word boundaries, whitespace and overlaps are checked for every schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

SCHEMA_FILE = "schema.json"
SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
DEFAULT_SCHEMA_FILE = SCHEMAS_DIR / "attack.json"

# The tagging scheme, declared once: IOB2 (seqeval's name for it, which scoring uses). Every span
# starts with B-; I- only continues a span of the same label. Tags, decoding, the CoNLL format and
# partial labels all derive from the names and rules below.
SCHEME = "IOB2"
OUTSIDE, BEGIN, INSIDE = "O", "B", "I"
PREFIXES = (BEGIN, INSIDE)

LABEL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Colours for labels whose schema entry gives none, in order (distinct on white and in the app's dark mode).
PALETTE = ("#e6194b", "#f58231", "#911eb4", "#4363d8", "#3cb44b", "#42d4f4", "#bfef45", "#f032e6", "#9a6324",
           "#469990", "#dcbeff", "#800000", "#aaffc3", "#808000", "#000075", "#a9a9a9")


class SchemaError(ValueError):
    """A schema file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class SlotLabel:
    name: str
    description: str
    examples: tuple[str, ...]
    colour: str


@dataclass(frozen=True)
class Schema:
    name: str
    labels: tuple[SlotLabel, ...]
    description: str = ""
    guideline_rules: bool = True

    @cached_property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @cached_property
    def tags(self) -> tuple[str, ...]:
        return (OUTSIDE,) + tuple(f"{prefix}-{name}" for name in self.label_names for prefix in PREFIXES)

    @cached_property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.tags))

    @cached_property
    def label2id(self) -> dict[str, int]:
        return {tag: i for i, tag in enumerate(self.tags)}

    @cached_property
    def colours(self) -> dict[str, str]:
        return {label.name: label.colour for label in self.labels}

    def label_problem(self, label: object) -> str | None:
        """Why ``label`` is not one of this schema's, or None."""
        if label in self.label_names:
            return None
        return f"unknown label {label!r}; the {self.name} schema's labels are {', '.join(self.label_names)}"

    def markdown_table(self) -> str:
        """The label table for the README, the guideline and model cards."""
        rows = ["| label | what it marks | examples |", "|---|---|---|"]
        rows += [f"| {label.name} | {label.description} | {', '.join(label.examples)} |" for label in self.labels]
        return "\n".join(rows)

    def to_json(self) -> dict:
        return {
            "name": self.name, "description": self.description, "guideline_rules": self.guideline_rules,
            "labels": [{"name": l.name, "description": l.description, "colour": l.colour, "examples": list(l.examples)}
                       for l in self.labels],
        }

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / SCHEMA_FILE
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, record: object, where: str = "schema") -> "Schema":
        """Build from a parsed schema file; SchemaError lists every problem, each naming its entry."""
        if not isinstance(record, dict):
            raise SchemaError(f"{where}: a schema is a JSON object with a 'labels' list")
        problems = []
        entries = record.get("labels")
        if not isinstance(entries, list) or not entries:
            raise SchemaError(f"{where}: 'labels' must be a non-empty list of {{\"name\", \"description\"}} objects")
        labels, seen = [], set()
        for index, entry in enumerate(entries):
            at = f"{where}: labels[{index}]"
            if not isinstance(entry, dict):
                problems.append(f"{at}: must be an object with 'name' and 'description'")
                continue
            name, description = entry.get("name"), entry.get("description", "")
            colour = entry.get("colour", PALETTE[index % len(PALETTE)])
            examples = entry.get("examples", [])
            if not isinstance(name, str) or not LABEL_NAME.match(name) or name == OUTSIDE:
                problems.append(f"{at}: name {name!r} must be letters, digits and underscores, starting with a letter (not 'O')")
            elif name in seen:
                problems.append(f"{at}: label {name!r} is declared twice")
            seen.add(name)
            if not isinstance(description, str):
                problems.append(f"{at}: 'description' must be a string")
            if not isinstance(colour, str) or not COLOUR.match(colour):
                problems.append(f"{at}: colour {colour!r} must be a #rrggbb hex colour")
            if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
                problems.append(f"{at}: 'examples' must be a list of strings")
            if not problems:
                labels.append(SlotLabel(name, description, tuple(examples), colour))
        name = record.get("name", "custom")
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: 'name' must be a non-empty string")
        if not isinstance(record.get("guideline_rules", True), bool):
            problems.append(f"{where}: 'guideline_rules' must be true or false")
        if problems:
            raise SchemaError("; ".join(problems))
        return cls(name, tuple(labels), str(record.get("description", "")), record.get("guideline_rules", True))

    @classmethod
    def load(cls, path: str | Path) -> "Schema":
        """Read a schema file (or a model directory's ``schema.json``)."""
        path = Path(path)
        if path.is_dir():
            path = path / SCHEMA_FILE
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SchemaError(f"{path}: no such schema file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise SchemaError(f"{path}: not valid JSON ({error})") from None
        return cls.from_json(record, str(path))

    @classmethod
    def for_model(cls, model_dir: str | Path) -> "Schema":
        """The schema a model directory was trained on: its ``schema.json``, else (runs trained before
        schemas were files) the default schema."""
        path = Path(model_dir) / SCHEMA_FILE
        return cls.load(path) if path.exists() else DEFAULT_SCHEMA


def load_schema(path: str | Path | None = None) -> Schema:
    """The schema in ``path``, or the default (attack) schema for None or an empty string."""
    return Schema.load(path) if path else DEFAULT_SCHEMA


DEFAULT_SCHEMA = Schema.load(DEFAULT_SCHEMA_FILE)
# The default schema's labels: the attack slots that incident records, normalisation and the
# guideline are written for. Code that serves any model reads its schema instead (Schema.for_model).
LABELS = DEFAULT_SCHEMA.labels
LABEL_NAMES = DEFAULT_SCHEMA.label_names


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


def split_tag(tag: str) -> tuple[str, str | None]:
    """``"B-WEAPON"`` -> ``("B", "WEAPON")``; ``"O"`` -> ``("O", None)``."""
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, _, label = tag.partition("-")
    return prefix, label
