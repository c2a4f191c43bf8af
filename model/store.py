"""The model directory: the one module that knows its layout.

A model location (``models/default`` by default) is a symbolic link to one
complete run::

    models/default                  -> .runs/default-20261206-014334-18908
    models/.runs/default-<stamp>/   complete runs (weights, tokenizer, eventslots.json, card)
    models/.runs/.default-incomplete-*/  a run being written (debris if its training was killed)
    models/.default.lock            held while a training writes ``default``

A new run is written to a staging folder, renamed into ``.runs/`` under its
final name, and published by swapping the link with one atomic ``os.replace``:
a run killed at any point leaves the link on the previous complete run. The
previous run is kept for :func:`rollback`; older runs *of the same model* are
pruned. A plain directory given as a model location is never moved or
deleted: it is read as a model, and training into it is refused.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from .schema import Schema, SchemaError

RUNS_DIR = ".runs"
SETTINGS_FILE = "eventslots.json"
CALIBRATION_FILE = "calibration.json"
GROUPING_FILE = "grouping.json"  # the incident grouping (model.grouping)
GATE_FILE = "backend_gate.json"  # whether the int8 graph may be the default (training.backend_gate)
CARD_FILE = "README.md"  # the model card
# Files fitted into a published run after its training; refitting one changes the run's version.
FITTED_FILES = (CALIBRATION_FILE, GROUPING_FILE, GATE_FILE)
# The forward pass as ONNX graphs (model.export), one per ONNX backend (model.backends).
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
KEEP_RUNS = 2
STAMP = "%Y%m%d-%H%M%S-%f"  # microseconds: two runs of one process in one second stay apart
RUN_NAME = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}-\d{6}(?:-\d{6})?)-(?P<pid>\d+)$")
WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")
# Runs are shared with the user's group (umask permitting), never private to one account.
RUN_MODE = 0o775


class ModelStoreError(Exception):
    """A model location that cannot be written or read as asked; the message says why and what to do."""


class ModelBusyError(ModelStoreError):
    pass


class BrokenModelError(ModelStoreError):
    pass


def runs_dir(target: Path) -> Path:
    return Path(target).parent / RUNS_DIR


def lock_path(target: Path) -> Path:
    return Path(target).parent / f".{Path(target).name}.lock"


def is_published(target: Path) -> bool:
    """Whether ``target`` is a link this module published (and so may be replaced)."""
    return Path(target).is_symlink()


def check_writable(target: Path) -> None:
    """Refuse, before any training, a location that is a plain directory holding anything."""
    target = Path(target)
    if target.exists() and not is_published(target) and (not target.is_dir() or any(target.iterdir())):
        raise ModelStoreError(
            f"{target} is a {'directory' if target.is_dir() else 'file'} that eventslots did not publish; "
            "it is never moved or deleted. Choose another --output (for example models/mine)."
        )


@contextmanager
def writing(target: Path) -> Iterator[None]:
    """Hold the model's lock for a whole training: a second training into the same model is refused,
    and staging debris left by a killed run is removed (nothing else can be writing it)."""
    import fcntl

    target = Path(target)
    check_writable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(target), "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ModelBusyError(
                f"another training is writing {target} ({holder}); wait for it to finish or choose another --output"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        for debris in runs_dir(target).glob(f".{target.name}-incomplete-*"):
            shutil.rmtree(debris, ignore_errors=True)
        yield
    finally:
        handle.close()  # releases the lock


def write_run(save, target: Path) -> Path:
    """Write a new run with ``save(folder)`` and publish it at ``target``; returns the run."""
    target = Path(target)
    check_writable(target)
    runs = runs_dir(target)
    runs.mkdir(parents=True, exist_ok=True)
    os.chmod(runs, RUN_MODE & ~_umask())
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-incomplete-", dir=runs))
    try:
        save(staging)
        os.chmod(staging, RUN_MODE & ~_umask())  # mkdtemp makes 0700 folders
        final = runs / f"{target.name}-{datetime.now().strftime(STAMP)}-{os.getpid()}"
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish(final, target)
    return final


def publish(run: Path, target: Path) -> None:
    """Point ``target`` at ``run`` atomically; keep the previous run, prune older runs of this model."""
    target = Path(target)
    check_writable(target)
    if target.is_dir() and not is_published(target):
        target.rmdir()  # an empty folder the user made for the model: nothing is lost
    link = target.with_name(f".{target.name}.link-{os.getpid()}")
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(run, target.parent), link)
    os.replace(link, target)
    prune(target)


def runs_of(target: Path) -> list[Path]:
    """The complete runs of the model at ``target``, newest first (by the stamp in their names)."""
    target = Path(target)
    found = []
    for path in runs_dir(target).iterdir() if runs_dir(target).is_dir() else ():
        match = RUN_NAME.match(path.name)
        if match and match["name"] == target.name and path.is_dir():
            found.append((match["stamp"], int(match["pid"]), path.resolve()))
    return [path for *_, path in sorted(found, reverse=True)]


def current_run(target: Path) -> Path | None:
    target = Path(target)
    return target.resolve() if is_published(target) and target.exists() else None


def prune(target: Path) -> None:
    """Remove runs of this model beyond the newest ``KEEP_RUNS``; never the published one, never another model's."""
    published = current_run(target)
    for old in runs_of(target)[KEEP_RUNS:]:
        if old.resolve() != published:
            shutil.rmtree(old, ignore_errors=True)


def rollback(target: Path) -> Path:
    """Publish the run before the current one; returns it."""
    target = Path(target)
    if not is_published(target):
        raise ModelStoreError(f"{target} is not a model published by eventslots; there is nothing to roll back to")
    runs = runs_of(target)
    published = current_run(target)
    older = runs[runs.index(published) + 1 :] if published in runs else runs
    if not older:
        raise ModelStoreError(f"{target} has no earlier run to roll back to ({len(runs)} run(s) kept)")
    publish(older[0], target)
    return older[0]


@dataclass(frozen=True)
class RunInfo:
    path: Path
    created: str
    data_hash: str
    scores: dict
    current: bool


def describe_run(run: Path, published: Path | None = None) -> RunInfo:
    """What a run's settings and calibration files say of it."""
    run = Path(run).resolve()
    settings = read_settings(run)
    metrics = settings.get("metrics") or {}
    scores = {}
    if (metrics.get("crossval") or {}).get("mean"):
        scores["crossval"] = metrics["crossval"]["mean"].get("seqeval_micro_f1")
    calibration = run / CALIBRATION_FILE
    if calibration.exists():
        scores["real-dev"] = json.loads(calibration.read_text(encoding="utf-8")).get("exact_f1")
    return RunInfo(run, settings.get("created", "?"), settings.get("data_hash", "?")[:12], scores, run == published)


def list_runs(target: Path) -> list[RunInfo]:
    """Each kept run of the model at ``target``, newest first, with what its files say."""
    published = current_run(target)
    return [describe_run(run, published) for run in runs_of(target)]


def run_name(target: Path) -> str:
    """The name of the run published at ``target`` (a plain model directory's own name): what a
    served model reports as its version."""
    return Path(target).resolve().name


def version_of(target: Path) -> tuple:
    """Changes whenever another run is published at ``target`` or a file fitted after training is refitted."""
    run = Path(target).resolve()
    return (run, *((run / name).stat().st_mtime_ns if (run / name).exists() else None for name in FITTED_FILES))


def write_fitted_file(model_dir: Path, name: str, record: dict, indent: int | None = None) -> Path:
    """A JSON file fitted after training (``FITTED_FILES``), written beside the weights under a
    temporary name, then renamed: a reader never sees half a file."""
    path = Path(model_dir) / name
    temporary = path.with_name(f".{name}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(record, indent=indent), encoding="utf-8")
    os.replace(temporary, path)
    return path


def write_card_section(model_dir: Path, title: str, text: str) -> Path:
    """Adds (or replaces) the section ``## title`` of the model card, atomically."""
    path = Path(model_dir) / CARD_FILE
    card = path.read_text(encoding="utf-8") if path.exists() else ""
    heading = f"## {title}\n"
    if heading in card:
        before, _, after = card.partition(heading)
        rest = after.find("\n## ")
        card = before + (after[rest + 1 :] if rest >= 0 else "")
    card = card.rstrip("\n") + f"\n\n{heading}\n{text.strip()}\n"
    temporary = path.with_name(f".{CARD_FILE}.tmp-{os.getpid()}")
    temporary.write_text(card.lstrip("\n"), encoding="utf-8")
    os.replace(temporary, path)
    return path


def read_settings(path: Path) -> dict:
    file = Path(path) / SETTINGS_FILE
    if not file.exists():
        return {}
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BrokenModelError(f"{file}: not valid JSON ({error})") from None


def weights_file(path: Path) -> Path | None:
    """The weights file of a model directory, if it has one."""
    return next((Path(path) / name for name in WEIGHTS_FILES if (Path(path) / name).exists()), None)


def onnx_file(path: Path, backend: str) -> Path:
    return Path(path) / ONNX_FILES[backend]


def model_schema(path: Path) -> Schema:
    """The schema of a model directory (``Schema.for_model``); an unreadable ``schema.json`` is a
    BrokenModelError naming it, like any other broken file of the directory."""
    try:
        return Schema.for_model(path)
    except SchemaError as error:
        raise BrokenModelError(str(error)) from None


def check_complete(path: Path, weights: bool = True) -> Schema:
    """The model's schema; raises BrokenModelError naming the file when ``path`` lacks what loading
    needs, or its labels are not its schema's tags (``schema.json``, or the default schema for runs without one)."""
    path = Path(path)
    schema = model_schema(path)
    expected_tags = list(schema.tags)
    config_file = path / "config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BrokenModelError(f"{config_file}: not valid JSON ({error})") from None
    # The ONNX backends read their graph instead (whose absence model.backends reports).
    if weights and weights_file(path) is None:
        raise BrokenModelError(f"{path / WEIGHTS_FILES[0]}: missing; the model directory has no weights")
    if not any((path / name).exists() for name in TOKENIZER_FILES):
        raise BrokenModelError(f"{path / TOKENIZER_FILES[0]}: missing; the model directory has no tokenizer")
    labels = config.get("id2label") or {}
    tags = [labels.get(str(i), labels.get(i)) for i in range(len(labels))]
    if tags != expected_tags:
        raise BrokenModelError(
            f"{config_file}: its labels ({', '.join(map(str, tags)) or 'none'}) are not the tags of the model's schema "
            f"({', '.join(expected_tags)}); retrain the model with `eventslots train`"
        )
    return schema


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
