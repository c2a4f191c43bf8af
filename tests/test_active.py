"""Active learning: the uncertainty of a reading, diverse picks, and ``eventslots annotations suggest``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eventslots.cli.main import main
from eventslots.model.inference import Reading
from eventslots.model.spans import Span
from eventslots.training.active import document_uncertainty, pick_diverse


def reading(margins, scores=(), vector=(1.0, 0.0)) -> Reading:
    spans = [Span(i, i + 1, "WEAPON", "x", score) for i, score in enumerate(scores)]
    return Reading(spans, np.array(margins, dtype=np.float32), np.array(vector, dtype=np.float32))


def test_uncertainty_grows_with_doubt_and_is_per_word():
    sure = reading([1.0] * 60, scores=[0.99, 0.01])
    doubtful = reading([1.0] * 50 + [0.1] * 10, scores=[0.5])
    assert document_uncertainty(sure) == pytest.approx(100 * (2 * 0.02) / 60)
    assert document_uncertainty(doubtful) == pytest.approx(100 * (1.0 + 10 * 0.9) / 60)
    # The same doubt in a text twice as long is half as much per word; short texts count as 50 words.
    assert document_uncertainty(reading([1.0] * 110 + [0.1] * 10, scores=[0.5])) == pytest.approx(document_uncertainty(doubtful) / 2)
    assert document_uncertainty(reading([0.0] * 5)) == pytest.approx(100 * 5 / 50)
    assert document_uncertainty(reading([])) == 0.0


def test_picks_skip_near_duplicates_and_prefer_unlike_documents():
    texts = ["rockets hit the airbase near the city at dawn on monday morning",
             "rockets hit the airbase near the city at dawn on monday morning again",  # a near-duplicate of 0
             "a drone struck a convoy on the highway north of the capital today",
             "a drone struck a convoy on the road north of the capital this week"]
    vectors = np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0], [0.05, 1.0]])
    assert pick_diverse([1.0, 0.99, 0.5, 0.45], vectors, texts, 2) == [0, 2]  # 1 repeats 0's words
    assert pick_diverse([1.0, 0.99, 0.5, 0.45], vectors, texts, 4) == [0, 2, 3]  # never the duplicate
    assert pick_diverse([1.0, 0.99, 0.5, 0.45], vectors, texts, 2, diversity=0.0) == [0, 2]
    assert pick_diverse([], np.zeros((0, 2)), [], 3) == []


def test_suggest_writes_a_label_studio_import_with_predict_spans(tmp_path, trained_model_dir, extractor, seeds_dir, capsys):
    pool = tmp_path / "pool"
    pool.mkdir()
    seeds = sorted(seeds_dir.glob("*.txt"))
    for path in seeds:
        (pool / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (pool / "copy.txt").write_text(seeds[0].read_text(encoding="utf-8"), encoding="utf-8")  # a duplicate
    (pool / "empty.txt").write_text("  \n", encoding="utf-8")
    output = tmp_path / "suggested.json"
    assert main(["annotations", "suggest", str(pool), "-n", "5", "--model", str(trained_model_dir), "--output", str(output)]) == 0
    error = capsys.readouterr().err
    assert "empty.txt: skipped: empty" in error and "5 of 6 document(s) suggested" in error
    tasks = json.loads(output.read_text())
    ids = [t["data"]["id"] for t in tasks]
    assert len(ids) == 5 and not {"copy.txt", seeds[0].name} <= set(ids)  # never both copies
    assert [t["data"]["meta"]["suggested_rank"] for t in tasks] == [1, 2, 3, 4, 5]
    uncertainties = [t["data"]["meta"]["uncertainty"] for t in tasks]
    assert all(u > 0 for u in uncertainties)
    for task in tasks:
        [prediction] = task["predictions"]
        spans = [(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in prediction["result"]]
        assert spans == [(s.start, s.end, s.label) for s in extractor.predict(task["data"]["text"])]
    assert main(["annotations", "suggest", str(pool), "-n", "2", "--model", str(trained_model_dir), "--output", str(output)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_suggest_list_and_random(tmp_path, trained_model_dir, seeds_dir, capsys):
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"id": p.stem, "text": p.read_text(encoding="utf-8")}) + "\n" for p in sorted(seeds_dir.glob("*.txt"))))
    assert main(["annotations", "suggest", str(pool), "-n", "2", "--model", str(trained_model_dir), "--format", "list"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["rank"] for r in rows] == [1, 2] and rows[0]["uncertainty"] >= 0 and rows[0]["text"]
    assert main(["annotations", "suggest", str(pool), "-n", "3", "--model", str(trained_model_dir), "--format", "list", "--strategy", "random"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and all(r["uncertainty"] is None for r in rows)
