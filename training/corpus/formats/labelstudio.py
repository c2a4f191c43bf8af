"""Label Studio's JSON export: a list of tasks, each with ``data.text`` and
``annotations[].result[]`` of ``{"value": {"start", "end", "text", "labels"}, "type": "labels"}``.

The first annotation that was not cancelled is read (Label Studio exports
every annotator's); older exports call them ``completions``. Exports set
``from_name``/``to_name`` to ``label``/``text``, the names of the labelling
config in ``labelstudio_config()``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from eventslots.model.schema import LABELS
from eventslots.model.spans import Span

from ..documents import AnnotationError, Document
from ..validation import Problem


def labelstudio_config() -> str:
    """A Label Studio labelling config for this schema, to paste into a new project."""
    labels = "\n".join(f'    <Label value="{l.name}" background="{l.colour}"/>' for l in LABELS)
    return f'<View>\n  <Labels name="label" toName="text">\n{labels}\n  </Labels>\n  <Text name="text" value="$text"/>\n</View>\n'


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
        try:
            data = task["data"]
            text = data["text"]
            doc_id = str(data.get("id") or data.get("doc_id") or f"labelstudio-{task.get('id', line)}")
            annotations = [a for a in task.get("annotations", task.get("completions", [])) if not a.get("was_cancelled")]
            results = annotations[0]["result"] if annotations else []
            spans = []
            for result in results:
                if result.get("type") != "labels":
                    continue
                value = result["value"]
                start, end = span_offsets(text, value, Problem(str(path), line, doc_id, "", ""))
                if not isinstance(value["labels"], list) or not all(isinstance(label, str) for label in value["labels"]):
                    raise AnnotationError([Problem(str(path), line, doc_id, "", f"'labels' must be a list of label names, got {value['labels']!r}")])
                for label in value["labels"]:
                    spans.append(Span(start, end, label, text[start:end]))
        except (KeyError, TypeError, IndexError) as error:
            raise AnnotationError([Problem(str(path), line, "", "", f"not a Label Studio task: missing {error}")])
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        documents.append((line, Document(doc_id, text, tuple(spans), data.get("source", "user"), meta)))
    return documents


def write(documents: Sequence[Document]) -> str:
    tasks = []
    for number, document in enumerate(documents, start=1):
        data = {"id": document.id, "text": document.text, "source": document.source}
        if document.meta:
            data["meta"] = document.meta
        result = [
            {
                "id": f"{document.id}-{i}",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": s.start, "end": s.end, "text": s.text, "labels": [s.label]},
            }
            for i, s in enumerate(sorted(document.spans))
        ]
        tasks.append({"id": number, "data": data, "annotations": [{"id": number, "result": result}]})
    return json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"
