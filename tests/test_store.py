"""The model directory's owner (model/store.py): publishing, pruning, locking, rollback, broken runs."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from eventslots.model import store
from eventslots.model.inference import Extractor
from eventslots.model.store import BrokenModelError, ModelBusyError, ModelStoreError

REPO_ROOT = Path(__file__).resolve().parent.parent


def eventslots(*args, timeout=120, **kwargs):
    return subprocess.run([sys.executable, "-m", "eventslots", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=timeout, **kwargs)


def copy_of(model_dir: Path):
    """A save function writing a copy of a real model, as a training would."""
    def save(folder: Path) -> None:
        for file in model_dir.resolve().iterdir():
            shutil.copy(file, folder / file.name)
    return save


def test_publishing_a_model_never_prunes_another_models_runs(trained_model_dir, tmp_path):
    models = tmp_path / "models"
    large = models / "default-large"
    store.write_run(copy_of(trained_model_dir), large)
    large_runs = store.runs_of(large)
    for _ in range(4):
        store.write_run(copy_of(trained_model_dir), models / "default")
    assert store.runs_of(large) == large_runs and all(r.is_dir() for r in large_runs)
    assert len(store.runs_of(models / "default")) == store.KEEP_RUNS
    Extractor.load(large).predict("A drone hit the base.")


def test_a_plain_directory_is_never_moved_or_trained_into(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my own files")
    with pytest.raises(ModelStoreError, match="never moved or deleted"):
        store.write_run(lambda folder: None, mine)
    result = eventslots("train", "--output", str(mine), "--max-steps", "1")
    assert result.returncode == 1 and "never moved or deleted" in result.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"] and not (tmp_path / ".runs").exists()


def test_serve_with_a_model_folder_holding_no_model_trains_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = eventslots("serve", "--model", str(empty), "--port", "7991")
    assert result.returncode == 1 and f"no model in {empty}" in result.stderr
    assert not any(empty.iterdir()) and not (tmp_path / ".runs").exists()


@pytest.mark.parametrize("breakage, named, backend", [
    ("no tokenizer", "tokenizer.json", None),
    ("truncated weights", "model.safetensors", "torch"),
    ("truncated int8 graph", "model-int8.onnx", "onnx-int8"),
    ("labels of another schema", "config.json", None),
])
def test_a_broken_model_directory_fails_to_load_naming_the_file(trained_model_dir, tmp_path, breakage, named, backend):
    broken = tmp_path / "broken"
    shutil.copytree(trained_model_dir.resolve(), broken)
    if breakage == "no tokenizer":
        for name in store.TOKENIZER_FILES:
            (broken / name).unlink(missing_ok=True)
    elif breakage.startswith("truncated"):
        weights = broken / named
        weights.write_bytes(weights.read_bytes()[:4096])
    else:
        config = json.loads((broken / "config.json").read_text())
        config["id2label"] = {"0": "O", "1": "B-PER", "2": "I-PER"}
        (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(BrokenModelError, match=named):
        Extractor.load(broken, backend=backend)
    result = eventslots("predict", "--model", str(broken), *(["--backend", backend] if backend else []), input="x")
    assert result.returncode == 1 and named in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("option, value", [("--epochs", "0"), ("--learning-rate", "0"), ("--window-tokens", "2048"),
                                           ("--batch-size", "0"), ("--stride-tokens", "200"), ("--precision", "fp16")])
def test_settings_that_cannot_publish_a_working_model_are_refused_before_training(tmp_path, option, value):
    result = eventslots("train", "--output", str(tmp_path / "m"), option, value)
    assert result.returncode == 1 and "refused before training" in result.stderr and option in result.stderr
    assert not (tmp_path / "m").exists() and not (tmp_path / ".runs").exists()


def test_a_second_training_into_the_same_model_is_refused_and_debris_is_cleared(tmp_path):
    target = tmp_path / "models" / "default"
    debris = store.runs_dir(target) / ".default-incomplete-killed"
    debris.mkdir(parents=True)
    with store.writing(target):
        assert not debris.exists()  # left by a killed run; nobody else can be writing it now
        with pytest.raises(ModelBusyError, match="another training is writing"):
            with store.writing(target):
                pass
        result = eventslots("train", "--output", str(target), "--max-steps", "1")
        assert result.returncode == 1 and "another training is writing" in result.stderr and f"pid {os.getpid()}" in result.stderr
    with store.writing(target):  # released once the first is done
        pass


def test_models_list_and_rollback(trained_model_dir, tmp_path):
    target = tmp_path / "models" / "default"
    first = store.write_run(copy_of(trained_model_dir), target)
    second = store.write_run(copy_of(trained_model_dir), target)
    listed = eventslots("models", "list", "--model", str(target))
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("*") and second.name in lines[0] and first.name in lines[1]
    back = eventslots("models", "rollback", "--model", str(target))
    assert back.returncode == 0 and target.resolve() == first.resolve()
    assert second.is_dir()  # still kept: rolling back loses nothing
    Extractor.load(target).predict("A drone hit the base.")
    again = eventslots("models", "rollback", "--model", str(target))
    assert again.returncode == 1 and "no earlier run" in again.stderr


KILL_AT_PUBLISH = textwrap.dedent("""
    import os, shutil, signal, sys
    from pathlib import Path
    from eventslots.model import store
    source, target, moment = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    if moment == "before-swap":
        os.replace = die          # killed at the very step that would swap the link
    else:
        store.prune = die         # killed right after the swap, before pruning
    store.write_run(lambda folder: [shutil.copy(f, folder / f.name) for f in source.resolve().iterdir()], target)
""")


@pytest.mark.parametrize("moment", ["before-swap", "after-swap"])
def test_a_kill_at_the_publishing_step_leaves_a_complete_model(trained_model_dir, tmp_path, moment):
    target = tmp_path / "models" / "default"
    previous = store.write_run(copy_of(trained_model_dir), target)
    process = subprocess.run([sys.executable, "-c", KILL_AT_PUBLISH, str(trained_model_dir), str(target), moment],
                             cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert process.returncode == -9, process.stderr
    if moment == "before-swap":
        assert target.resolve() == previous.resolve()
    else:
        assert target.resolve() != previous.resolve() and target.resolve().parent == store.runs_dir(target)
    Extractor.load(target).predict("A drone hit the base.")


def test_runs_are_readable_by_the_users_group(trained_model_dir, tmp_path):
    old = os.umask(0o022)
    try:
        run = store.write_run(copy_of(trained_model_dir), tmp_path / "models" / "default")
    finally:
        os.umask(old)
    for path in (run, run.parent):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & stat.S_IRGRP and mode & stat.S_IXGRP, oct(mode)
