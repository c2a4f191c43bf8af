"""Writing a trained model directory, and replacing the old one only once the new one is complete.

The model path (``models/default`` by default) is a symbolic link to a
complete run directory under ``models/.runs/``. A new model is written to a
temporary directory, moved into ``.runs/`` under its final name, and the link
is swapped with one atomic ``os.replace``. A run killed at any point leaves
the link pointing at the previous, complete model. The previous run is kept
for rollback; older ones are removed.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from eventslots.model.inference import SETTINGS_FILE

RUNS_DIR = ".runs"
KEEP_RUNS = 2


def _runs_dir(target: Path) -> Path:
    return target.parent / RUNS_DIR


def write_model(trained, target: str | Path, metadata: dict, card: str) -> Path:
    """Save weights, tokenizer, settings and card, then publish them at ``target``."""
    target = Path(target)
    runs = _runs_dir(target)
    runs.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-incomplete-", dir=runs))
    try:
        trained.model.save_pretrained(staging)
        trained.tokenizer.save_pretrained(staging)
        (staging / SETTINGS_FILE).write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        (staging / "README.md").write_text(card, encoding="utf-8")
        final = runs / f"{target.name}-{stamp}"
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish(final, target)
    return target


def publish(run: Path, target: Path) -> None:
    """Point ``target`` at ``run`` atomically; keep the previous run, remove older ones."""
    if target.exists() and not target.is_symlink():
        # A plain directory from elsewhere: keep it beside the runs rather than delete it.
        os.rename(target, _runs_dir(target) / f"{target.name}-previous-{time.strftime('%Y%m%d-%H%M%S')}")
    link = target.with_name(f".{target.name}.link-{os.getpid()}")
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(run, target.parent), link)
    os.replace(link, target)
    _prune(target, keep={run.resolve()})


def _prune(target: Path, keep: set[Path]) -> None:
    runs = sorted(
        (p for p in _runs_dir(target).glob(f"{target.name}-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in runs[KEEP_RUNS:]:
        if old.resolve() not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in _runs_dir(target).glob(f".{target.name}-incomplete-*"):
        # Left by a killed run; safe to remove once older than an hour (no run takes that long here).
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)


def environment() -> dict:
    import torch
    import transformers

    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "platform": platform.platform(),
        "threads": torch.get_num_threads(),
    }
