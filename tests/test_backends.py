"""The ONNX Runtime backends: same reading as torch, without torch, and clear errors."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from eventslots.model.inference import Extractor
from eventslots.model.store import BrokenModelError, onnx_file


@pytest.fixture(scope="module")
def texts(seeds_dir) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]


def test_onnx_fp32_reads_as_torch_does(trained_model_dir, texts):
    torch_extractor = Extractor.load(trained_model_dir, backend="torch")
    onnx_extractor = Extractor.load(trained_model_dir, backend="onnx")
    assert onnx_extractor.model is None and onnx_extractor.tags == torch_extractor.tags
    ids = np.array([[101, 7420, 2886, 1996, 2237, 102, 0]], dtype=np.int64)
    mask = np.array([[1, 1, 1, 1, 1, 1, 0]], dtype=np.int64)
    (torch_probs, torch_states), (onnx_probs, onnx_states) = torch_extractor.tagger(ids, mask, True), onnx_extractor.tagger(ids, mask, True)
    assert np.abs(torch_probs - onnx_probs).max() < 1e-4 and np.abs(torch_states - onnx_states).max() < 1e-3
    ours = onnx_extractor.predict_batch(texts, min_score=0)
    reference = torch_extractor.predict_batch(texts, min_score=0)
    assert [[(s.start, s.end, s.label) for s in doc] for doc in ours] == [[(s.start, s.end, s.label) for s in doc] for doc in reference]
    assert all(abs(a.score - b.score) < 1e-3 for x, y in zip(ours, reference) for a, b in zip(x, y))


def test_exporting_leaves_the_torch_reader_reading_as_before(trained_model_dir, texts, tmp_path):
    from eventslots.model.export import export_onnx

    reader = Extractor.load(trained_model_dir, backend="torch")
    before = reader.predict_batch(texts[:2], min_score=0)
    export_onnx(reader.model, tmp_path)  # what cross-validation's int8 scoring does between two torch readings
    # Left in train mode, its dropout would make the same text read differently each time.
    assert not reader.model.training
    assert reader.predict_batch(texts[:2], min_score=0) == before


def test_int8_graph_is_quantised_and_stays_close(trained_model_dir, texts):
    import onnx

    graph = onnx.load(str(onnx_file(trained_model_dir, "onnx-int8")))
    assert any(node.op_type in ("MatMulInteger", "DynamicQuantizeLinear") for node in graph.graph.node)
    assert onnx_file(trained_model_dir, "onnx-int8").stat().st_size < onnx_file(trained_model_dir, "onnx").stat().st_size
    fp32 = Extractor.load(trained_model_dir, backend="onnx")
    int8 = Extractor.load(trained_model_dir, backend="onnx-int8")
    ids = np.array([fp32.tokenizer(texts[0][:600])["input_ids"][:100]], dtype=np.int64)
    mask = np.ones_like(ids)
    # Weights in int8 move tag probabilities a little, not a lot (the gate's span agreement is in benchmarks/).
    assert np.abs(fp32.tagger(ids, mask)[0] - int8.tagger(ids, mask)[0]).max() < 0.15


def test_an_mpnet_taggers_int8_graph_quantises_its_attention_only(tmp_path):
    """mpnet's feed-forward products stay fp32 (they failed the backend gate); a tiny random mpnet
    tagger goes through the exporter that training uses."""
    import onnx
    from transformers import MPNetConfig, MPNetForTokenClassification

    from eventslots.model.export import export_onnx, quantised_nodes

    config = MPNetConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                         max_position_embeddings=66, num_labels=5)
    export_onnx(MPNetForTokenClassification(config).eval(), tmp_path)
    fp32 = onnx.load(str(tmp_path / "model.onnx"), load_external_data=False).graph
    chosen = quantised_nodes(fp32, "mpnet")
    assert len(chosen) == 2 * 4 and all(re.search(r"/attention/attn/[qkvo]/MatMul$", name) for name in chosen)
    assert len(quantised_nodes(fp32)) == 2 * 5  # other encoders' selection also takes the up-projections
    int8 = onnx.load(str(tmp_path / "model-int8.onnx"), load_external_data=False).graph
    assert sum(node.op_type == "MatMulInteger" for node in int8.node) == len(chosen)


def test_int8_reads_a_window_per_core_as_one_core_would(trained_model_dir, texts):
    one = Extractor.load(trained_model_dir, backend="onnx-int8", threads=1)
    two = Extractor.load(trained_model_dir, backend="onnx-int8", threads=2)
    assert (one.tagger.workers, two.tagger.workers) == (1, 2)
    together = two.predict_batch(texts, min_score=0)
    assert together == one.predict_batch(texts, min_score=0)
    # Each window is read alone, so a text reads the same whatever is batched with it.
    assert [two.predict(text, min_score=0) for text in texts] == together
    # A process forked after the pool started reads with a pool of its own (the inherited one has no threads).
    import multiprocessing
    import queue

    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    child = fork.Process(target=lambda: results.put(two.predict_batch(texts[:2], min_score=0)))
    child.start()
    try:
        assert results.get(timeout=120) == together[:2]
    except queue.Empty:
        pytest.fail("a forked process never finished reading with the int8 backend")
    finally:
        child.kill()
        child.join()


def test_predicting_with_onnx_never_imports_torch(trained_model_dir, seeds_dir):
    script = (
        "import sys\n"
        "from eventslots.model.inference import Extractor\n"
        "from eventslots.model.incidents import extract_incidents\n"
        f"extractor = Extractor.load({str(trained_model_dir)!r}, backend='onnx-int8')\n"
        f"text = open({str(sorted(seeds_dir.glob('*.txt'))[0])!r}, encoding='utf-8').read()\n"
        "assert extractor.predict(text, min_score=0)\n"
        "extract_incidents(text, extractor=extractor)\n"
        "import eventslots.serve.app, eventslots.batch.engines\n"
        "heavy = sorted(name for name in ('torch', 'transformers') if name in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_model_without_its_graph_says_how_to_write_it(tmp_path, trained_model_dir):
    copy = tmp_path / "model"
    shutil.copytree(trained_model_dir, copy)
    onnx_file(copy, "onnx-int8").unlink()
    with pytest.raises(BrokenModelError, match="eventslots export onnx"):
        Extractor.load(copy, backend="onnx-int8")
    onnx_file(copy, "onnx").write_bytes(b"not a graph")
    with pytest.raises(BrokenModelError, match="cannot be read"):
        Extractor.load(copy, backend="onnx")
    with pytest.raises(ValueError, match="unknown backend"):
        Extractor.load(copy, backend="tensorrt")

    result = subprocess.run([sys.executable, "-m", "eventslots.cli.main", "export", "onnx", "--model", str(copy)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert Extractor.load(copy, backend="onnx-int8").predict("Rockets hit the base on Monday.", min_score=0) is not None


def test_the_gate_decides_the_default_backend(tmp_path, trained_model_dir, seed_documents, monkeypatch):
    import json

    from eventslots.model.backends import BACKEND_ENV, default_backend
    from eventslots.model.store import GATE_FILE
    from eventslots.training.backend_gate import measure_gate, record_gate
    from eventslots.training.corpus import load_documents
    from eventslots.training.corpus.real import split_documents

    monkeypatch.delenv(BACKEND_ENV, raising=False)
    copy = tmp_path / "model"
    shutil.copytree(trained_model_dir, copy)
    (copy / GATE_FILE).unlink(missing_ok=True)
    assert default_backend(copy) == "onnx"  # never measured: no int8 by default
    result = measure_gate(copy, seed_documents[:2], split_documents(load_documents(), "real-dev")[:3])
    assert 0 <= result["agreement_seeds"] <= 1 and 0 <= result["ece_int8"] <= 1
    for passed, expected in ((True, "onnx-int8"), (False, "onnx")):
        record_gate(copy, {**result, "passed": passed})
        assert json.loads((copy / GATE_FILE).read_text())["passed"] is passed
        assert default_backend(copy) == expected
        assert Extractor.load(copy).backend == expected
    card = (copy / "README.md").read_text()
    assert card.count("## Backend gate") == 1 and "failed" in card and f"{result['agreement_seeds']:.3f}" in card
    monkeypatch.setenv(BACKEND_ENV, "torch")
    assert default_backend(copy) == "torch"
