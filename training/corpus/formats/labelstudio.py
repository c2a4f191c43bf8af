"""Label Studio's JSON export: a list of tasks, each with ``data.text`` and
``annotations[].result[]`` of ``{"value": {"start", "end", "text", "labels"}, "type": "labels"}``.

The first annotation that was not cancelled is read (Label Studio exports
every annotator's); older exports call them ``completions``. Exports set
``from_name``/``to_name`` to ``label``/``text``, the names of the labelling
config in ``labelstudio_config()``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from eventslots.model.schema import DEFAULT_SCHEMA, Schema
from eventslots.model.spans import Span

from ..documents import AnnotationError, Document
from ..validation import Problem


FROM_NAME, TO_NAME, TEXT_KEY = "label", "text", "text"  # the names labelstudio_config() gives


def labelstudio_config(schema: Schema = DEFAULT_SCHEMA) -> str:
    """A Label Studio labelling config for ``schema``, to paste into a new project."""
    labels = "\n".join(f'    <Label value="{l.name}" background="{l.colour}"/>' for l in schema.labels)
    return (f'<View>\n  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{labels}\n  </Labels>\n'
            f'  <Text name="{TO_NAME}" value="${TEXT_KEY}"/>\n</View>\n')


@dataclass(frozen=True)
class ConfigNames:
    """What a project's labelling config calls things: the ``Labels`` control (``from_name``), the
    ``Text`` object it labels (``to_name``), the task data key holding the text, and the label values."""

    from_name: str = FROM_NAME
    to_name: str = TO_NAME
    text_key: str = TEXT_KEY
    labels: tuple[str, ...] = DEFAULT_SCHEMA.label_names


def config_names(label_config: str | None, schema: Schema = DEFAULT_SCHEMA) -> ConfigNames:
    """The names of ``label_config`` (a project's XML); ``labelstudio_config(schema)``'s names where it has
    none or cannot be read. The ``Labels`` control chosen is the one sharing most values with ``schema``."""
    import xml.etree.ElementTree as ElementTree

    own = ConfigNames(labels=schema.label_names)
    if not label_config:
        return own
    try:
        root = ElementTree.fromstring(label_config)
    except ElementTree.ParseError:
        return own
    known = set(schema.label_names)
    controls = [c for c in root.iter("Labels") if c.get("name") and c.get("toName")]
    if not controls:
        return own
    control = max(controls, key=lambda c: len(known & {x.get("value") for x in c.iter("Label")}))
    texts = {t.get("name"): t.get("value", "") for t in root.iter("Text")}
    key = texts.get(control.get("toName"), "$" + TEXT_KEY).lstrip("$") or TEXT_KEY
    return ConfigNames(control.get("name"), control.get("toName"), key, tuple(x.get("value") for x in control.iter("Label")))


def span_results(spans: Sequence[Span], names: ConfigNames = ConfigNames(), prefix: str = "", scores: bool = False) -> list[dict]:
    """Label Studio ``result`` items of ``spans``, each with its score where ``scores`` (a prediction)."""
    return [
        {
            "id": f"{prefix}{i}",
            "from_name": names.from_name,
            "to_name": names.to_name,
            "type": "labels",
            "value": {"start": s.start, "end": s.end, "text": s.text, "labels": [s.label]},
            **({"score": round(float(s.score), 4)} if scores else {}),
        }
        for i, s in enumerate(sorted(spans))
    ]


def prediction(kept: Sequence[Span], candidates: Sequence[Span], model_version: str | None, names: ConfigNames = ConfigNames()) -> dict:
    """A Label Studio prediction of one task: the ``kept`` spans with their scores; its ``score`` is their
    mean, or, with none kept, 1 minus the best score among the ``candidates`` the model decoded and left out."""
    score = sum(s.score for s in kept) / len(kept) if kept else 1.0 - max((s.score for s in candidates), default=0.0)
    return {"result": span_results(kept, names, scores=True), "score": round(float(score), 4), "model_version": model_version}


def task_document(task: dict, annotation: dict | None, where: Problem, names: ConfigNames = ConfigNames()) -> Document:
    """The document of one task and one of its annotations (``None``: no spans), checked as it is read."""
    try:
        data = task["data"]
        text = data[names.text_key]
        doc_id = str(data.get("id") or data.get("doc_id") or f"labelstudio-{task.get('id', where.line)}")
        spans = []
        for result in (annotation or {}).get("result", []):
            if result.get("type") != "labels":
                continue
            value = result["value"]
            start, end = span_offsets(text, value, replace(where, document=doc_id))
            if not isinstance(value["labels"], list) or not all(isinstance(label, str) for label in value["labels"]):
                raise AnnotationError([replace(where, document=doc_id, message=f"'labels' must be a list of label names, got {value['labels']!r}")])
            for label in value["labels"]:
                spans.append(Span(start, end, label, text[start:end]))
    except (KeyError, TypeError, IndexError) as error:
        raise AnnotationError([replace(where, message=f"not a Label Studio task: missing {error}")])
    if not isinstance(text, str):
        raise AnnotationError([replace(where, document=doc_id, message=f"the task's {names.text_key!r} is not text")])
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    return Document(doc_id, text, tuple(spans), data.get("source", "user"), meta)


def _tasks_with_lines(content: str, path: Path) -> list[tuple[int, object]]:
    """Decode the top-level list element by element so each task keeps its line number."""
    decoder = json.JSONDecoder()
    position = len(content) - len(content.lstrip())
    if not content[position:].startswith("["):
        raise AnnotationError([Problem(str(path), 1, "", "", "a Label Studio export is a JSON list of tasks")])
    position += 1
    tasks = []
    while True:
        while position < len(content) and content[position] in " \t\r\n,":
            position += 1
        if position >= len(content):
            raise AnnotationError([Problem(str(path), content.count("\n") + 1, "", "", "unterminated JSON list")])
        if content[position] == "]":
            return tasks
        line = content.count("\n", 0, position) + 1
        try:
            task, position = decoder.raw_decode(content, position)
        except json.JSONDecodeError as error:
            raise AnnotationError([Problem(str(path), error.lineno, "", "", f"invalid JSON: {error.msg}")])
        tasks.append((line, task))


def utf16_to_python(text: str, offset: int) -> int:
    """The Python (code point) offset of a UTF-16 code-unit offset: the one browsers count in."""
    units = 0
    for index, char in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def span_offsets(text: str, value: dict, where: Problem) -> tuple[int, int]:
    """The span's offsets in ``text``, checked against its ``value.text``.

    Label Studio counts in the browser's UTF-16 code units, so after an emoji
    or another character beyond the Basic Multilingual Plane its offsets run
    ahead of Python's; those are converted. A span whose words are found at
    neither reading is refused rather than imported shifted."""
    start, end = value["start"], value["end"]
    if not (isinstance(start, int) and isinstance(end, int)):
        raise AnnotationError([replace(where, message=f"offsets must be whole numbers, got {start!r}-{end!r}")])
    surface = value.get("text")
    if surface is None or text[start:end] == surface:
        if not 0 <= start < end <= len(text):
            raise AnnotationError([replace(where, message=f"offsets {start}-{end} are outside the text (0-{len(text)})")])
        return start, end
    converted = utf16_to_python(text, start), utf16_to_python(text, end)
    if text[converted[0] : converted[1]] == surface:
        return converted
    raise AnnotationError([replace(where, 
        message=f"span {start}-{end} says {surface!r} but the text there is {text[start:end]!r}; refused rather than imported shifted")])


def read(path: Path) -> list[tuple[int, Document]]:
    documents = []
    for line, task in _tasks_with_lines(Path(path).read_text(encoding="utf-8"), path):
        if not isinstance(task, dict):
            raise AnnotationError([Problem(str(path), line, "", "", "not a Label Studio task: not a JSON object")])
        annotations = [a for a in task.get("annotations", task.get("completions", [])) if not a.get("was_cancelled")]
        documents.append((line, task_document(task, annotations[0] if annotations else None, Problem(str(path), line, "", "", ""))))
    return documents


def write(documents: Sequence[Document]) -> str:
    tasks = []
    for number, document in enumerate(documents, start=1):
        data = {"id": document.id, "text": document.text, "source": document.source}
        if document.meta:
            data["meta"] = document.meta
        result = span_results(document.spans, prefix=f"{document.id}-")
        tasks.append({"id": number, "data": data, "annotations": [{"id": number, "result": result}]})
    return json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"
