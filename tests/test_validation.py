"""`eventslots annotations validate`: one corrupted copy per defect kind, each reported with file and line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eventslots.cli.main import main
from eventslots.training.corpus.validation import validate_files


def test_repository_annotations_are_valid(capsys):
    assert main(["annotations", "validate"]) == 0
    assert "0 problem(s)" in capsys.readouterr().err


def _rewrite(path, line_number, change):
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[line_number - 1])
    change(record)
    lines[line_number - 1] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _span(record, index):
    return record["spans"][index]


DEFECTS = {
    "offsets out of range": lambda r: _span(r, 0).update(end=len(r["text"]) + 5),
    "differs from text[start:end]": lambda r: _span(r, 0).update(text="helicopter"),
    "cuts inside a word": lambda r: _span(r, 0).update(start=_span(r, 0)["start"] + 1, text=r["text"][_span(r, 0)["start"] + 1 : _span(r, 0)["end"]]),
    "overlaps": lambda r: r["spans"].append({"start": _span(r, 0)["start"], "end": _span(r, 0)["end"], "label": "TARGET"}),
    "unknown label": lambda r: _span(r, 0).update(label="VICTIM"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_is_reported_with_file_and_line(tiny_file, defect):
    line = 2
    _rewrite(tiny_file, line, DEFECTS[defect])
    problems = validate_files([tiny_file])
    assert problems, defect
    assert any(defect in p.message for p in problems)
    assert all(p.file == str(tiny_file) and p.line == line for p in problems)
    assert str(problems[0]).startswith(f"{tiny_file}:{line}: tiny-2: ")


def test_seed_text_must_match(seed_files):
    path = next(seed_files.glob("002_*.jsonl"))
    _rewrite(path, 1, lambda r: r.update(text=r["text"].replace("Reports", "Report", 1)))
    problems = validate_files([path])
    assert [p.message for p in problems if "seeds/" in p.message] == ["text differs from seeds/002_0d1978074a54745d.txt"]
    assert problems[0].line == 1


def test_malformed_json_is_reported(tiny_file):
    lines = tiny_file.read_text().splitlines()
    lines[0] = lines[0][:-1]  # drop the closing brace
    tiny_file.write_text("\n".join(lines) + "\n")
    problems = validate_files([tiny_file])
    assert len(problems) == 1 and problems[0].line == 1 and "invalid JSON" in problems[0].message


def test_duplicate_ids_across_files(tmp_path, tiny_file):
    copy = tmp_path / "copy.jsonl"
    copy.write_text(tiny_file.read_text())
    problems = validate_files([tiny_file, copy])
    assert [(p.file, p.line) for p in problems] == [(str(copy), 1), (str(copy), 2)]
    assert all("duplicate document id" in p.message for p in problems)


@pytest.mark.parametrize(
    "start, end, message",
    [
        (16, 28, "starts with the determiner 'a' (rule 2)"),  # "a checkpoint"
        (18, 38, "ends with punctuation (rule 8)"),  # "checkpoint in Mosul,"
    ],
)
def test_span_rules_beyond_the_format(tiny_file, start, end, message):
    _rewrite(tiny_file, 2, lambda r: r["spans"].__setitem__(2, {"start": start, "end": end, "label": "TARGET"}) or r["spans"].pop(3))
    problems = validate_files([tiny_file])
    assert len(problems) == 1 and problems[0].message.endswith(message)


def test_parentheses_are_never_inside_a_span(tmp_path):
    path = tmp_path / "p.jsonl"
    text = "Rockets hit the Baghdad Diplomatic Support Center (BDSC)."
    path.write_text(json.dumps({"id": "p", "text": text, "spans": [{"start": 16, "end": 56, "label": "TARGET"}]}) + "\n")
    [problem] = validate_files([path])
    assert "contains a parenthesis (rule 4)" in problem.message


def test_cli_exit_status_and_output(tiny_file):
    _rewrite(tiny_file, 1, lambda r: _span(r, 1).update(label="SHOOTER"))
    result = subprocess.run(
        [sys.executable, "-m", "eventslots", "annotations", "validate", str(tiny_file)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"{tiny_file}:1: tiny-1: [16:25 SHOOTER]: unknown label 'SHOOTER'" in result.stdout


def test_one_text_in_two_places_is_reported_and_counted_once(tmp_path):
    import json

    from eventslots.training.corpus import load_documents
    from eventslots.training.corpus.validation import validate_files

    record = {"id": "a-1", "source": "authored", "text": "Rebels fired two rockets at the airport.",
              "spans": [{"start": 0, "end": 6, "label": "ATTACKER", "text": "Rebels"}]}
    (tmp_path / "a.jsonl").write_text(json.dumps(record) + "\n")
    copy = {**record, "id": "b-1", "text": "Rebels  fired two rockets at the AIRPORT.", "spans": []}
    (tmp_path / "b.jsonl").write_text(json.dumps(copy) + "\n")
    [problem] = validate_files([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert str(problem).startswith(f"{tmp_path / 'b.jsonl'}:1: b-1:") and "the same text as a-1" in problem.message
    assert "different spans" in problem.message
    assert [d.id for d in load_documents([tmp_path])] == ["a-1"]


@pytest.mark.parametrize("line, message", [
    ('{"id": "e", "source": "user", "text": "  \\n ", "spans": []}', "empty text"),
    ('{"id": "s", "source": "user", "text": "Rockets \\ud800 hit.", "spans": []}', "lone surrogate U+D800 at offset 8"),
    ('{"id": "t", "source": "user", "text": 42, "spans": []}', "missing 'text' (a string)"),
    ('{"id": "o", "source": "user", "text": "Rockets hit.", "spans": [{"start": 0, "end": 99, "label": "WEAPON"}]}', "out of"),
    ('{"id": "j", "text": ', "invalid JSON"),
])
def test_texts_that_would_crash_training_are_file_line_problems(tmp_path, line, message):
    from eventslots.training.corpus.validation import validate_files

    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "ok", "source": "user", "text": "Fine.", "spans": []}\n' + line + "\n", encoding="utf-8")
    [problem] = validate_files([path])
    assert str(problem).startswith(f"{path}:2:") and message in str(problem)


@pytest.mark.parametrize("spans, meta, message", [
    ([{"start": 0, "end": 3, "label": "WEAPON", "event": 1}, {"start": 4, "end": 8, "label": "TRIGGER"}], None, "has no 'event' id"),
    ([{"start": 0, "end": 3, "label": "WEAPON", "event": 2}, {"start": 4, "end": 8, "label": "TRIGGER", "event": 1}], None, "order of first mention"),
    ([{"start": 0, "end": 3, "label": "WEAPON", "event": 1}], {"incidents": [{"event": 2, "intercepted": False}]}, "names no incident"),
    ([{"start": 0, "end": 3, "label": "WEAPON", "event": 1}], {"incidents": [{"event": 1, "time": "Jan 5", "intercepted": False}]}, "not an ISO 8601"),
    ([{"start": 0, "end": 3, "label": "WEAPON", "event": 1}], {"incidents": [{"event": 1, "killed": 3, "intercepted": False}]}, "killed must be null"),
])
def test_incident_ids_and_values_are_checked(tmp_path, spans, meta, message):
    from eventslots.training.corpus.validation import validate_files

    record = {"id": "d", "source": "user", "text": "gun shot here", "spans": spans, **({"meta": meta} if meta else {})}
    path = tmp_path / "incidents.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    problems = [str(p) for p in validate_files([path])]
    assert any(message in p and "incidents.jsonl:1" in p for p in problems), problems


def test_a_report_piped_into_head_ends_quietly():
    """`eventslots annotations agree ... | head` stops when head does, without a BrokenPipeError traceback."""
    from eventslots.model.paths import CORPUS_DIR

    passes = [str(CORPUS_DIR / "agreement" / f"real-train-{name}-pass") for name in ("first", "second")]
    child = subprocess.Popen([sys.executable, "-m", "eventslots.cli.main", "annotations", "agree", *passes],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline()
    child.stdout.close()  # what head does after its lines
    _, errors = child.communicate(timeout=120)
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
