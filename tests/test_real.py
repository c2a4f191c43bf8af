"""The real-article corpus: fixed splits, the held-out guard, stand-off texts and split scoring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from eventslots.model.paths import CORPUS_DIR, shared_data_dir
from eventslots.model.spans import Span
from eventslots.training.corpus import AnnotationError, Document, load_documents
from eventslots.training.corpus.formats import markup
from eventslots.training.heldout import bootstrap_interval, evaluate_split, paired_difference_interval
from eventslots.training.metrics import pair_documents
from eventslots.training.peers import Memoriser
from eventslots.training.corpus.real import (
    SPLITS, drop_held_out, rebuild_standoff, split_documents, split_of, standoff_records, to_standoff,
)
from eventslots.training.corpus.validation import check_record

REAL_DIR = CORPUS_DIR / "real"
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def real_documents():
    return [d for d in load_documents([REAL_DIR]) if d.source == "real"]


def test_splits_are_fixed_sized_and_disjoint(real_documents):
    records = {r["id"]: r["meta"]["split"] for r in standoff_records([REAL_DIR])}
    records.update({d.id: split_of(d) for d in real_documents})
    counts = Counter(records.values())
    assert set(counts) == set(SPLITS)
    assert counts["real-dev"] >= 60 and counts["real-test"] >= 60
    assert sum(counts.values()) >= 200
    # Balanced by source: each held-out split draws on both publishers' families.
    for split in ("real-dev", "real-test"):
        ids = [i for i, s in records.items() if s == split]
        assert any(i.startswith("TST4-MUC4") for i in ids) and any(not i.startswith("TST4-MUC4") for i in ids)


def test_every_real_document_names_its_origin(real_documents):
    for document in real_documents:
        origin = document.meta["origin"]
        assert origin["corpus"] and origin["id"] == document.id


def test_only_public_domain_text_is_stored_whole():
    for path in REAL_DIR.glob("*.jsonl"):
        if path.name.endswith(".standoff.jsonl"):
            for line in path.read_text(encoding="utf-8").splitlines():
                assert "text" not in json.loads(line)
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert record["meta"]["origin"]["corpus"].startswith("muc4") or "_VOA_" in record["id"], record["id"]


def test_training_never_sees_held_out_documents_or_copies_of_them(real_documents):
    held_out = [d for d in real_documents if split_of(d) == "real-test"][0]
    # A user's file with the same article under another id, re-spaced and upper-cased.
    copy = Document("my-copy", " ".join(held_out.text.upper().split()), (), "user", {})
    kept = drop_held_out([*real_documents, copy])
    assert copy not in kept
    assert {split_of(d) for d in kept} == {"real-train"}


def test_crossval_folds_stay_on_the_seeds(real_documents, seed_documents):
    from eventslots.training.dataset import assign_folds

    folds = assign_folds([*seed_documents, *drop_held_out(real_documents)])
    assert sorted(f for f in folds.values() if f >= 0) == list(range(len(seed_documents)))


def test_standoff_rebuilds_text_and_rejects_a_changed_one(tmp_path):
    text = "Militants fired two rockets at Kabul airport on Sunday."
    spans = (Span(0, 9, "ATTACKER", "Militants", event=(1,)), Span(10, 15, "TRIGGER", "fired", event=(1,)))
    document = Document("doc-1", text, spans, "real", {"origin": {"corpus": "wikievents-dev", "id": "news_1"}, "split": "real-dev"})
    standoff = tmp_path / "annotations" / "x.standoff.jsonl"
    standoff.parent.mkdir()
    standoff.write_text(json.dumps(to_standoff(document)) + "\n")
    data = tmp_path / "data"
    (data / "wikievents").mkdir(parents=True)
    sentences = [[[], "Militants fired two rockets at Kabul airport on Sunday. "]]
    (data / "wikievents" / "dev.jsonl").write_text(json.dumps({"doc_id": "news_1", "sentences": sentences}) + "\n")
    (data / "wikievents" / "test.jsonl").write_text("")
    [rebuilt] = rebuild_standoff(standoff, data)
    assert rebuilt == document and rebuilt.spans[0].event == (1,)

    sentences[0][1] = "Militants fired three rockets at Kabul airport on Sunday."
    (data / "wikievents" / "dev.jsonl").write_text(json.dumps({"doc_id": "news_1", "sentences": sentences}) + "\n")
    with pytest.raises(AnnotationError, match=r"x\.standoff\.jsonl:1: doc-1"):
        rebuild_standoff(standoff, data)
    with pytest.raises(FileNotFoundError, match="EVENTSLOTS_DATA"):
        rebuild_standoff(standoff, tmp_path / "nowhere")


@pytest.mark.skipif(shared_data_dir() is None, reason="no copy of ../shared/data (WikiEvents) here")
def test_shipped_standoff_files_rebuild_from_wikievents():
    records = standoff_records([REAL_DIR])
    rebuilt = [d for path in sorted(REAL_DIR.glob("*.standoff.jsonl")) for d in rebuild_standoff(path)]
    assert len(rebuilt) == len(records) > 0


def test_markup_carries_incident_ids_both_ways():
    [(_, document)] = markup.parse("=== d\nsource: real\n---\n[Rebels|ATTACKER|1] [bombed|TRIGGER|1,2] it.\n")
    assert [s.event for s in document.spans] == [(1,), (1, 2)]
    assert markup.render([document]).count("|1,2]") == 1
    assert document.to_json()["spans"][1]["event"] == [1, 2]
    with pytest.raises(markup.MarkupError, match=r"<markup>:4: d: incident ids"):
        markup.parse("=== d\nsource: real\n---\n[Rebels|ATTACKER|x]\n")


@pytest.mark.parametrize("event", [0, "1", [], [1, "2"], 1.5])
def test_validation_rejects_malformed_incident_ids(event):
    record = {"id": "d", "text": "Rebels attacked.", "spans": [{"start": 0, "end": 6, "label": "ATTACKER", "event": event}]}
    assert any("'event' must be" in message for _, message in check_record(record, seeds_dir=None))


def test_split_scores_with_interval_and_sources(real_documents):
    train = split_documents(real_documents, "real-train")
    dev = split_documents(real_documents, "real-dev")
    memoriser = Memoriser(train)
    predicted = dict(zip((d.id for d in dev), memoriser.predict_batch([d.text for d in dev])))
    result = evaluate_split(dev, predicted, "real-dev")
    low, high = result["interval"]["exact"]
    assert low <= result["exact"]["micro"]["f1"] <= high and low < high
    assert "muc4" in result["by_source"]
    assert result["no_attack"]["documents"] > 0
    # A perfect system scores 1 with a degenerate interval.
    perfect = pair_documents(dev, {d.id: d.spans for d in dev})
    assert bootstrap_interval(perfect) == [1.0, 1.0]
    # Paired: a reading against itself differs by exactly 0; the perfect one beats the memoriser on every resample.
    memorised = pair_documents(dev, predicted)
    assert paired_difference_interval(memorised, memorised) == [0.0, 0.0]
    low, high = paired_difference_interval(perfect, memorised)
    assert 0 < low <= 1 - result["exact"]["micro"]["f1"] <= high
    with pytest.raises(ValueError, match="same documents"):
        paired_difference_interval(perfect, memorised[:-1])


def test_evaluate_split_command_without_a_wikievents_copy(trained_model_dir, tmp_path):
    # No WikiEvents here: its real-dev documents are left out, and the report says so.
    environment = {**os.environ, "EVENTSLOTS_DATA": str(tmp_path / "no-data")}
    run = subprocess.run(
        [sys.executable, "-m", "eventslots", "evaluate", "--split", "real-dev", "--model", str(trained_model_dir),
         "--report-dir", str(tmp_path / "report")],
        capture_output=True, text=True, cwd=REPO_ROOT, env=environment,
    )
    assert run.returncode == 0, run.stderr
    assert "95% bootstrap interval" in run.stdout and "| muc4 |" in run.stdout
    assert "left out: their text comes from WikiEvents" in run.stdout
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["split"] == "real-dev" and report["documents"] >= 50 and report["absent"]
