"""Corpus mode: formats, bad documents, resuming after a kill, and the Ray engine's rows."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eventslots.batch.engines import CorpusRun, run_corpus
from eventslots.batch.sources import MAX_CHARS


@pytest.fixture(scope="module")
def articles(seeds_dir) -> list[str]:
    """Short real-looking articles: the seeds' paragraphs, so a corpus of a dozen reads in seconds."""
    paragraphs = [p.strip() for path in sorted(seeds_dir.glob("*.txt")) for p in path.read_text(encoding="utf-8").split("\n\n")]
    return [p for p in paragraphs if len(p) > 200][:12]


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def read_rows(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def corpus_run(trained_model_dir, source: Path, output: Path, **options) -> CorpusRun:
    return CorpusRun(source, output, trained_model_dir, options.pop("backend", "onnx"), **options)


def test_rows_are_predict_output_and_bad_documents_go_to_a_side_file(tmp_path, trained_model_dir, articles):
    from eventslots.model.incidents import analyse_batch
    from eventslots.model.inference import Extractor

    records = [{"id": f"a{i}", "text": t} for i, t in enumerate(articles[:5])]
    bad = [
        "{not json",
        {"id": "empty", "text": "   "},
        {"id": "number", "text": 42},
        {"text": "no id here"},
        {"id": "huge", "text": "x" * (MAX_CHARS + 1)},
        {"id": "baddate", "text": articles[0], "published": "last Tuesday"},
    ]
    source = write_jsonl(tmp_path / "in.jsonl", records[:2] + bad + records[2:])
    output = tmp_path / "out.jsonl"
    summary = run_corpus(corpus_run(trained_model_dir, source, output, part_size=3))
    assert summary["rows"] == 5 and summary["rejected"] == len(bad)
    rows = read_rows(output)
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    extractor = Extractor.load(trained_model_dir, backend="onnx")
    expected = analyse_batch([r["text"] for r in records], None, extractor)
    for row, (spans, incidents) in zip(rows, expected):
        assert row["spans"] == [s.to_dict() for s in spans]
        assert row["incidents"] == [i.to_row() for i in incidents]
    errors = [json.loads(line) for line in Path(summary["errors"]).read_text().splitlines()]
    assert [(e["where"], e["reason"].split(" (")[0]) for e in errors] == [
        ("line 3", "not JSON"), ("line 4", "empty"), ("line 5", "not text"), ("line 6", "no id"),
        ("line 7", "too large"), ("line 8", "published date 'last Tuesday' is not an ISO date such as 2020-01-03"),
    ]
    assert not output.with_name("out.jsonl.parts").exists()


def test_parquet_and_text_folder_inputs_give_the_same_rows(tmp_path, trained_model_dir, articles):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = articles[:4]
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    names = [f"sub/{i}.txt" if i % 2 else f"{i}.txt" for i in range(len(texts))]
    for name, text in zip(names, texts):
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\xff\xfe\x00junk")
    table = pa.table({"id": names, "text": texts, "published": ["2020-01-03"] * len(texts)})
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=3)

    from_folder = run_corpus(corpus_run(trained_model_dir, folder, tmp_path / "folder.parquet", part_size=2))
    from_parquet = run_corpus(corpus_run(trained_model_dir, tmp_path / "in.parquet", tmp_path / "table.jsonl", part_size=2, incidents=False))
    assert from_folder["rejected"] == 1 and from_parquet["rejected"] == 0
    folder_rows = {r["id"]: r for r in read_rows(tmp_path / "folder.parquet")}
    table_rows = {r["id"]: r for r in read_rows(tmp_path / "table.jsonl")}
    assert sorted(folder_rows) == sorted(table_rows) == sorted(names)
    for name in names:
        assert [{**s, "score": pytest.approx(s["score"])} for s in table_rows[name]["spans"]] == folder_rows[name]["spans"]
        assert table_rows[name]["incidents"] is None and isinstance(folder_rows[name]["incidents"], list)


def test_a_changed_run_is_refused_and_restart_starts_over(tmp_path, trained_model_dir, articles):
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(articles[:4])])
    output = tmp_path / "out.jsonl"

    def stop_after_first_part(done, total, rejected):
        if 0 < done < total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_corpus(corpus_run(trained_model_dir, source, output, part_size=2), stop_after_first_part)
    assert not output.exists()
    with pytest.raises(ValueError, match="--restart"):
        run_corpus(corpus_run(trained_model_dir, source, output, part_size=3))
    with pytest.raises(ValueError, match="--part-size must be at least 1"):
        run_corpus(corpus_run(trained_model_dir, source, output, part_size=0))
    resumed = run_corpus(corpus_run(trained_model_dir, source, output, part_size=2))
    assert resumed["resumed_parts"] == 1 and resumed["rows"] == 4
    with pytest.raises(ValueError, match="exists"):
        run_corpus(corpus_run(trained_model_dir, source, output, part_size=2))  # a finished output is never replaced silently
    assert run_corpus(corpus_run(trained_model_dir, source, output, part_size=3, restart=True))["resumed_parts"] == 0


def test_a_killed_command_resumes_without_duplicate_or_lost_rows(tmp_path, trained_model_dir, articles):
    records = [{"id": f"doc-{i}", "text": articles[i % len(articles)]} for i in range(12)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    output = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "eventslots.cli.main", "predict", "--input", str(source), "--output", str(output),
               "--model", str(trained_model_dir), "--backend", "onnx", "--part-size", "2", "--no-incidents"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parts = output.with_name("out.jsonl.parts")
    deadline = time.monotonic() + 120
    while not list(parts.glob("part-*.jsonl")) and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert child.poll() is None, child.communicate()[1]
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not output.exists() and list(parts.glob("part-*.jsonl"))
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert "resumed from a stopped run" in finished.stderr
    assert [r["id"] for r in read_rows(output)] == [r["id"] for r in records]
    fresh = run_corpus(corpus_run(trained_model_dir, source, tmp_path / "fresh.jsonl", part_size=2, incidents=False))
    assert fresh["rows"] == 12
    assert read_rows(output) == read_rows(tmp_path / "fresh.jsonl")


def test_progress_lines_off_a_terminal(tmp_path, trained_model_dir, articles):
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": t} for i, t in enumerate(articles[:4])])
    result = subprocess.run(
        [sys.executable, "-m", "eventslots.cli.main", "predict", "--input", str(source), "--output", str(tmp_path / "o.parquet"),
         "--model", str(trained_model_dir), "--backend", "onnx", "--part-size", "2"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "predict: 4/4 documents" in result.stderr and "documents/s" in result.stderr
    assert "wrote 4 rows" in result.stderr


def test_ray_engine_gives_the_local_rows(tmp_path, trained_model_dir, articles):
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI must install the scale extra for the Ray test (the README's test command does)")
        pytest.skip("Ray is the optional extra: pip install -e '.[scale]'")
    records = [{"id": f"doc-{i}", "text": articles[i % len(articles)]} for i in range(8)] + [{"id": "empty", "text": ""}]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    local = run_corpus(corpus_run(trained_model_dir, source, tmp_path / "local.jsonl", part_size=3))
    on_ray = run_corpus(corpus_run(trained_model_dir, source, tmp_path / "ray.jsonl", part_size=3, engine="ray", workers=2))
    assert on_ray["rows"] == local["rows"] == 8 and on_ray["rejected"] == local["rejected"] == 1
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert Path(on_ray["errors"]).read_text() == Path(local["errors"]).read_text()
    # As on a cluster whose workers cannot read the model directory: it travels with the job.
    shipped = run_corpus(corpus_run(trained_model_dir, source, tmp_path / "shipped.jsonl", part_size=3, engine="ray", workers=1, ship_model=True))
    assert shipped["rows"] == 8 and (tmp_path / "shipped.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
