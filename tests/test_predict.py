"""predict(): whole documents, exact offsets, invariants on any text."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventslots import LABEL_NAMES, ModelNotFoundError, Span
from eventslots.model.paths import SEEDS_DIR


def check_invariants(text: str, spans: list[Span]) -> None:
    assert spans == sorted(spans)
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
        assert span.label in LABEL_NAMES
        assert 0.0 <= span.score <= 1.0
    for before, after in zip(spans, spans[1:]):
        assert before.end <= after.start


FRAGMENTS = list(" \n\t\r\u00a0\u200b\u202e\ufeff\x00\x07") + [
    "😀", "👩\u200d👩\u200d👧", "北京", "بغداد", "Київ", "e\u0301", "Drones hit the base on Sunday.", "—", "(BDSC)", "U.S.",
]
tricky_text = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(FRAGMENTS)), max_size=40).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=tricky_text)
def test_predict_never_fails_and_keeps_its_invariants(extractor, text):
    check_invariants(text, extractor.predict(text))


@pytest.mark.parametrize("text", ["", " ", "\n\n\t", "😀" * 600, "drone " * 9000, "x" * 50_000])
def test_edge_texts(extractor, text):
    check_invariants(text, extractor.predict(text))


def test_long_documents_are_read_whole(extractor):
    article = (SEEDS_DIR / "004_30bd4df8f24fa5f0.txt").read_text(encoding="utf-8")
    single = extractor.predict(article)
    assert single, "the tiny model should find slots in a seed article"
    tripled = article + "\n\n" + article + "\n\n" + article  # ~2,400 sub-words: many windows
    spans = extractor.predict(tripled)
    check_invariants(tripled, spans)
    last_copy = [s for s in spans if s.start >= 2 * (len(article) + 2)]
    # The last copy, far past any single window, is tagged like the article alone
    # (up to the few tokens whose context differs where windows fall differently).
    alone = {(s.start, s.label) for s in single}
    shifted = {(s.start - 2 * (len(article) + 2), s.label) for s in last_copy}
    assert len(alone & shifted) >= 0.8 * max(len(alone), len(shifted))


def test_predict_batch_matches_predict(extractor):
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))] + ["", "Rockets hit Sderot."]
    assert extractor.predict_batch(texts) == [extractor.predict(t) for t in texts]


def test_span_converts_to_pipeline_shape():
    span = Span(4, 9, "WEAPON", "drone", 0.9)
    assert span.to_hf() == {"entity_group": "WEAPON", "score": 0.9, "word": "drone", "start": 4, "end": 9}


def test_module_predict_uses_the_configured_model(trained_model_dir, monkeypatch):
    import eventslots
    from eventslots.model import inference

    monkeypatch.setenv("EVENTSLOTS_MODEL", str(trained_model_dir))
    text = (SEEDS_DIR / "000_16352e49a1ab6733.txt").read_text(encoding="utf-8")
    assert eventslots.predict(text) == inference.Extractor.load(trained_model_dir).predict(text)
    assert eventslots.predict_batch([text, ""])[1] == []


def test_missing_model_says_how_to_train(tmp_path, monkeypatch):
    import eventslots

    monkeypatch.setenv("EVENTSLOTS_MODEL", str(tmp_path / "nothing-here"))
    with pytest.raises(ModelNotFoundError, match="eventslots train"):
        eventslots.predict("Rockets hit Sderot.")


def test_non_string_input_is_refused(extractor):
    with pytest.raises(TypeError, match="expects str"):
        extractor.predict(None)


def test_predict_command_prints_one_json_object_per_document(trained_model_dir, tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text((SEEDS_DIR / "004_30bd4df8f24fa5f0.txt").read_text(encoding="utf-8"))
    second.write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "eventslots", "predict", str(first), str(second), "--model", str(trained_model_dir)],
        capture_output=True, text=True, check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(first), str(second)]
    assert lines[0]["spans"] and lines[1]["spans"] == []
    text = first.read_text()
    assert all(text[s["start"] : s["end"]] == s["text"] for s in lines[0]["spans"])
    from_stdin = subprocess.run(
        [sys.executable, "-m", "eventslots", "predict", "--model", str(trained_model_dir)],
        input=text, capture_output=True, text=True, check=True,
    )
    assert json.loads(from_stdin.stdout)["spans"] == lines[0]["spans"]


@pytest.mark.parametrize("make, problem", [
    (lambda d: d / "missing.txt", "no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: (d / "latin1.txt").write_bytes("café bombé".encode("latin-1")) and d / "latin1.txt", "not UTF-8 text"),
])
def test_predict_command_on_bad_files_is_one_line(tmp_path, make, problem):
    import subprocess
    import sys

    name = str(make(tmp_path))
    result = subprocess.run([sys.executable, "-m", "eventslots", "predict", name], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0] and name in result.stderr and problem in result.stderr


def test_predict_over_many_files_logs_progress_off_a_terminal(trained_model_dir, tmp_path):
    import subprocess
    import sys

    files = []
    for i in range(20):
        files.append(tmp_path / f"{i}.txt")
        files[-1].write_text(f"Rebels fired {i + 2} rockets at the airport on Monday.", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "eventslots", "predict", "--model", str(trained_model_dir), *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 20
    assert "predict: 20/20 documents" in result.stderr


def test_a_paragraph_reads_the_same_wherever_the_windows_fall(extractor):
    """One seed article repeated 30 times, a blank line between copies: every copy gets the same spans,
    the spans of the article alone (with windows placed by stride alone, 2 of 30 did)."""
    article = (SEEDS_DIR / "000_16352e49a1ab6733.txt").read_text(encoding="utf-8").strip()
    step = len(article) + 2
    spans = extractor.predict("\n\n".join([article] * 30), min_score=0)
    copies = [
        tuple((s.start - k * step, s.end - k * step, s.label) for s in spans if k * step <= s.start < (k + 1) * step)
        for k in range(30)
    ]
    alone = tuple((s.start, s.end, s.label) for s in extractor.predict(article, min_score=0))
    assert alone, "the tiny model should tag something in a seed article"
    assert all(copy == alone for copy in copies)


def test_a_lower_outside_weight_trades_precision_for_recall(trained_model_dir):
    from eventslots.model.inference import Extractor

    text = (SEEDS_DIR / "004_30bd4df8f24fa5f0.txt").read_text(encoding="utf-8")
    plain = Extractor.load(trained_model_dir, calibrated=False, backend="torch")
    eager = Extractor.load(trained_model_dir, calibrated=False, backend="torch", outside_weight=1e-4)
    spans, more = plain.predict(text, 0), eager.predict(text, 0)
    check_invariants(text, more)
    # Each word's span starts where O was weighed less: more of the text ends up in spans.
    assert sum(s.end - s.start for s in more) > sum(s.end - s.start for s in spans)
    assert all(0 <= s.score <= 1 for s in more)  # scores stay the model's probabilities
    for weight in (0, 1.5):
        with pytest.raises(ValueError, match="outside_weight"):
            Extractor.load(trained_model_dir, backend="torch", outside_weight=weight)
