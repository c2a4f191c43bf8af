"""The schema as data: a schema file declares the labels; training, the model directory, predict,
the app, Label Studio and validation all follow it (here the MUC-4 schema of benchmarks/muc4)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eventslots.model.inference import Extractor
from eventslots.model.paths import CORPUS_DIR
from eventslots.model.schema import DEFAULT_SCHEMA, SCHEMA_FILE, Schema, SchemaError
from eventslots.model.store import BrokenModelError
from eventslots.training.corpus import AnnotationError, load_documents
from eventslots.training.corpus.validation import validate_files

from conftest import FIXTURES, MUC4_SCHEMA

REPO_ROOT = Path(__file__).resolve().parent.parent
MUC4_FILE = FIXTURES / "muc4-tiny.jsonl"
MUC4_LABELS = ("PerpInd", "PerpOrg", "Target", "Victim", "Weapon")


def eventslots(*args, timeout=180, **kwargs):
    return subprocess.run([sys.executable, "-m", "eventslots", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=timeout, **kwargs)


def test_the_default_schema_is_the_nine_attack_slots_and_everything_derives_from_it():
    assert DEFAULT_SCHEMA.label_names == ("TRIGGER", "ATTACKER", "WEAPON", "TARGET", "LOCATION", "TIME", "INTERCEPTOR",
                                          "CASUALTIES", "DAMAGE")
    assert DEFAULT_SCHEMA.tags[0] == "O" and len(DEFAULT_SCHEMA.tags) == 19
    assert DEFAULT_SCHEMA.tags[1:3] == ("B-TRIGGER", "I-TRIGGER")
    assert DEFAULT_SCHEMA.label2id == {tag: i for i, tag in DEFAULT_SCHEMA.id2label.items()}
    muc4 = Schema.load(MUC4_SCHEMA)
    assert muc4.label_names == MUC4_LABELS and not muc4.guideline_rules
    assert muc4.tags == ("O", "B-PerpInd", "I-PerpInd", "B-PerpOrg", "I-PerpOrg", "B-Target", "I-Target",
                         "B-Victim", "I-Victim", "B-Weapon", "I-Weapon")


@pytest.mark.parametrize("content, message", [
    ("not json", "not valid JSON"),
    ('{"labels": []}', "'labels' must be a non-empty list"),
    ('{"labels": [{"name": "B-X"}]}', "labels[0]: name 'B-X' must be letters"),
    ('{"labels": [{"name": "A"}, {"name": "A"}]}', "labels[1]: label 'A' is declared twice"),
    ('{"labels": [{"name": "A", "colour": "red"}]}', "labels[0]: colour 'red' must be a #rrggbb"),
    ('{"labels": [{"name": "O"}]}', "(not 'O')"),
])
def test_a_bad_schema_file_is_refused_naming_the_file_and_the_entry(tmp_path, content, message):
    path = tmp_path / "schema.json"
    path.write_text(content)
    with pytest.raises(SchemaError, match=str(path)) as error:
        Schema.load(path)
    assert message in str(error.value)
    result = eventslots("schema", "show", str(path))
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_a_schema_without_colours_takes_the_palette(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text('{"name": "mine", "labels": [{"name": "Actor", "description": "who"}, {"name": "Place"}]}')
    schema = Schema.load(path)
    assert schema.colours == {"Actor": "#e6194b", "Place": "#f58231"}
    assert "| Actor | who |  |" in schema.markdown_table()


def test_annotations_with_labels_outside_the_schema_are_validation_errors(tmp_path):
    muc4 = Schema.load(MUC4_SCHEMA)
    # Attack-schema annotations read under the MUC-4 schema, and the other way round: file:line problems.
    seed_file = CORPUS_DIR / "seeds" / "000_16352e49a1ab6733.jsonl"
    problems = validate_files([seed_file], schema=muc4)
    unknown = [p for p in problems if "unknown label" in p.message]
    assert len(unknown) == len(json.loads(seed_file.read_text())["spans"])
    assert all("the muc4 schema's labels are PerpInd" in p.message and p.line == 1 and p.file == str(seed_file) for p in unknown)
    problems = validate_files([MUC4_FILE])
    assert problems and f"{MUC4_FILE}:1: DEV-MUC3-0008:" in str(problems[0]) and "unknown label 'Victim'" in str(problems[0])
    assert not validate_files([MUC4_FILE], schema=muc4)
    result = eventslots("annotations", "validate", "--schema", str(MUC4_SCHEMA), str(MUC4_FILE))
    assert result.returncode == 0, result.stdout + result.stderr
    result = eventslots("annotations", "validate", str(MUC4_FILE))
    assert result.returncode == 1 and f"{MUC4_FILE}:1:" in result.stdout and "unknown label" in result.stdout


def test_the_guideline_span_style_is_the_attack_schemas_own(tmp_path):
    """MUC-4's fillers keep their determiners ("the extraditables"); word boundaries are checked for every schema."""
    text = "the extraditables set off a bomb."
    record = {"id": "d", "source": "user", "text": text, "spans": [{"start": 0, "end": 17, "label": "PerpOrg"}]}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(record) + "\n")
    assert not validate_files([path], schema=Schema.load(MUC4_SCHEMA))
    record["spans"] = [{"start": 0, "end": 16, "label": "PerpOrg"}]
    path.write_text(json.dumps(record) + "\n")
    assert "cuts inside a word" in str(validate_files([path], schema=Schema.load(MUC4_SCHEMA)))
    record["spans"] = [{"start": 0, "end": 17, "label": "ATTACKER"}]
    path.write_text(json.dumps(record) + "\n")
    assert "starts with the determiner 'the'" in str(validate_files([path]))


def test_training_on_another_schema_needs_its_own_documents(tmp_path):
    result = eventslots("train", "--schema", str(MUC4_SCHEMA), "--output", str(tmp_path / "m"), "--max-steps", "1")
    assert result.returncode == 1 and "--annotations" in result.stderr and "Traceback" not in result.stderr
    result = eventslots("train", "--schema", str(MUC4_SCHEMA), "--annotations", str(CORPUS_DIR / "seeds"),
                        "--output", str(tmp_path / "m"), "--max-steps", "1")
    assert result.returncode == 1 and "unknown label 'TRIGGER'" in result.stderr and ".jsonl:1:" in result.stderr
    assert not (tmp_path / "m").exists()


def test_the_model_directory_carries_its_schema(muc4_model_dir):
    assert Schema.load(muc4_model_dir / SCHEMA_FILE) == Schema.load(MUC4_SCHEMA)
    config = json.loads((muc4_model_dir / "config.json").read_text())
    assert [config["id2label"][str(i)] for i in range(len(config["id2label"]))] == list(Schema.load(MUC4_SCHEMA).tags)
    card = (muc4_model_dir / "README.md").read_text()
    assert "the muc4 schema" in card and all(f"| {label} |" in card for label in MUC4_LABELS)
    settings = json.loads((muc4_model_dir / "eventslots.json").read_text())
    assert f"--schema {MUC4_SCHEMA}" in settings["command"] and f"--annotations {MUC4_FILE}" in settings["command"]


def test_a_model_of_another_schema_predicts_its_labels(muc4_model_dir):
    extractor = Extractor.load(muc4_model_dir)
    assert extractor.schema.name == "muc4" and extractor.tags == list(extractor.schema.tags)
    documents = load_documents([MUC4_FILE], schema=extractor.schema)
    spans = [s for d in documents for s in extractor.predict(d.text, min_score=0)]
    assert spans and {s.label for s in spans} <= set(MUC4_LABELS)
    text = documents[1].text
    result = eventslots("predict", "--model", str(muc4_model_dir), "--backend", "torch", input=text)
    assert result.returncode == 0, result.stderr
    predicted = [json.loads(line) for line in result.stdout.splitlines()][0]["spans"]
    assert [(s["start"], s["end"], s["label"]) for s in predicted] == [(s.start, s.end, s.label) for s in extractor.predict(text)]
    for backend in ("onnx", "onnx-int8"):
        assert Extractor.load(muc4_model_dir, backend=backend).schema.label_names == MUC4_LABELS


def test_label_studio_and_schema_show_follow_the_models_schema(muc4_model_dir):
    result = eventslots("labelstudio", "config", "--model", str(muc4_model_dir))
    assert result.returncode == 0, result.stderr
    assert [line.split('"')[1] for line in result.stdout.splitlines() if "<Label " in line] == list(MUC4_LABELS)
    shown = eventslots("schema", "show", "--model", str(muc4_model_dir))
    assert shown.returncode == 0 and Schema.load(MUC4_SCHEMA).markdown_table() in shown.stdout


def test_commands_that_need_the_attack_corpus_refuse_another_schema_clearly(muc4_model_dir):
    for command in (("evaluate", "--split", "real-dev"), ("calibrate",), ("evaluate",)):
        result = eventslots(*command, "--model", str(muc4_model_dir))
        assert result.returncode == 1 and "muc4" in result.stderr and "Traceback" not in result.stderr, (command, result.stderr)
    result = eventslots("incidents", "--model", str(muc4_model_dir), input="the fmln set off a bomb.")
    assert result.returncode == 1 and "attack schema" in result.stderr and "Traceback" not in result.stderr


def test_evaluate_scores_a_model_on_files_of_its_schema(muc4_model_dir, tmp_path):
    result = eventslots("evaluate", "--model", str(muc4_model_dir), "--report-dir", str(tmp_path), str(MUC4_FILE))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report["exact"]["per_label"]) <= set(MUC4_LABELS) and report["trained_on"]


def test_a_broken_schema_file_in_a_model_fails_to_load_naming_it(muc4_model_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(muc4_model_dir.resolve(), broken)
    (broken / SCHEMA_FILE).write_text('{"labels": [{"name": "PerpInd"}]}')
    with pytest.raises(BrokenModelError, match="labels of|schema"):
        Extractor.load(broken)
    (broken / SCHEMA_FILE).write_text("{")
    with pytest.raises(BrokenModelError, match=SCHEMA_FILE):
        Extractor.load(broken)


def test_the_app_shows_the_models_labels_and_saves_corrections_apart(muc4_app, muc4_model_dir):
    import httpx
    from gradio_client import Client

    url, annotations = muc4_app
    config = httpx.get(url + "config").json()
    props = {c.get("props", {}).get("elem_id"): c["props"] for c in config["components"] if c.get("props", {}).get("elem_id")}
    assert list(props["highlighted"]["color_map"]) == list(MUC4_LABELS)
    assert [choice[0] for choice in props["add-label"]["choices"]] == list(MUC4_LABELS)
    assert all(f"**{label}**" in props["legend-note"]["value"] for label in MUC4_LABELS)
    assert "muc4" in props["introduction"]["value"] and props["incidents-table"]["visible"] is False

    text = load_documents([MUC4_FILE], schema=Schema.load(MUC4_SCHEMA))[3].text
    client = Client(url, verbose=False)
    _, _, spans, status = client.predict(text, api_name="/extract")
    assert status.startswith("Extracted.") and {s["label"] for s in spans} <= set(MUC4_LABELS)
    with pytest.raises(Exception, match="muc4 schema"):
        client.predict(text, api_name="/incidents")

    from eventslots.serve.editing import corrections_root, save_correction
    from eventslots.model.spans import Span

    schema = Schema.load(MUC4_SCHEMA)
    saved = save_correction(text, [Span(text.index("bomb"), text.index("bomb") + 4, "Weapon", "bomb")], "muc4 fix",
                            corrections_root(annotations, schema), schema=schema)
    assert saved.parent.parent.name == "annotations-muc4" and not annotations.exists()
    assert load_documents([saved], schema=schema)[0].spans[0].label == "Weapon"
    with pytest.raises(AnnotationError):
        load_documents([saved])  # never mixed into the default corpus
