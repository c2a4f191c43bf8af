"""eventslots installs as one package, ``eventslots.*``, and works wherever it is installed."""

from __future__ import annotations

import ast
import re
import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUR_FOLDERS = ("model", "training", "serve", "cli")


def python_files():
    for folder in (*OUR_FOLDERS, "eventslots", "benchmarks", "docs", "tests"):
        yield from (REPO_ROOT / folder).rglob("*.py")


def test_nothing_imports_the_bare_folder_names():
    offenders = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {n}" for n in names if n.split(".")[0] in OUR_FOLDERS]
    assert not offenders, "import these as eventslots.<folder>:\n" + "\n".join(offenders)


def test_every_code_folder_is_an_installed_package():
    setuptools = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping, packages = setuptools["package-dir"], set(setuptools["packages"])
    folders = {p.parent for folder in OUR_FOLDERS for p in (REPO_ROOT / folder).rglob("*.py")}
    for folder in folders:
        top, *rest = folder.relative_to(REPO_ROOT).parts
        assert ".".join([f"eventslots.{top}", *rest]) in packages, f"{folder} is not installed"
    assert all(mapping[f"eventslots.{top}"] == top for top in OUR_FOLDERS)


def test_version_without_torch():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, eventslots; print(eventslots.__version__, 'torch' in sys.modules)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert out[1] == "False" and out[0][0].isdigit()
    cli = subprocess.run([sys.executable, "-m", "eventslots", "--version"], capture_output=True, text=True, check=True)
    assert cli.stdout.strip() == f"eventslots {out[0]}"


def test_wheel_install_works_beside_a_users_model_py(tmp_path, trained_model_dir):
    """A non-editable install into a fresh venv, used from a folder that has its own model.py."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run(
        [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    # The dependencies (torch, transformers, ...) come from this environment; eventslots itself from the wheel.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site), str(REPO_ROOT)],
        check=True, capture_output=True,
    )
    assert {"model", "training", "serve", "cli"}.isdisjoint(p.name for p in site.iterdir())
    assert (site / "eventslots" / "annotations" / "seeds").is_dir() and (site / "eventslots" / "seeds").is_dir()
    user_dir = tmp_path / "analyst"
    user_dir.mkdir()
    (user_dir / "model.py").write_text("raise RuntimeError('the user model.py was imported')\n")
    script = (
        "import eventslots, json; from eventslots import predict; "
        "assert '/venv/' in eventslots.__file__, eventslots.__file__; "
        "from eventslots.model.paths import CORPUS_DIR, models_dir; "
        "spans = predict('Two drones attacked the base on Sunday.'); "
        "print(json.dumps([type(spans).__name__, str(CORPUS_DIR), str(models_dir())]))"
    )
    env = {**os.environ, "EVENTSLOTS_MODEL": str(trained_model_dir), "EVENTSLOTS_HOME": str(user_dir)}
    env.pop("PYTHONPATH", None)
    result = subprocess.run([venv / "bin" / "python", "-c", script], cwd=user_dir, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    kind, corpus, models = json.loads(result.stdout)
    assert kind == "list"
    assert corpus == str(site / "eventslots" / "annotations")
    assert models == str(user_dir / "models")  # the workspace, not site-packages


def test_the_app_depends_on_the_corpus_wing_not_the_trainer():
    """serve/ (and any annotation tool) reads and writes the corpus without importing the trainer."""
    code = ("import sys, eventslots.serve.editing, eventslots.training.corpus.formats; "
            "print(sorted(m for m in sys.modules if m.startswith('eventslots.training')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(result.stdout)
    assert loaded and all(m == "eventslots.training" or m.startswith("eventslots.training.corpus") for m in loaded), loaded


def test_the_corpus_modules_import_without_a_circle():
    """documents.py is the base of the wing: it imports none of its siblings, so validation and loading
    never import each other in a circle."""
    source = (Path(__file__).resolve().parent.parent / "training" / "corpus" / "documents.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*from \.(validation|loading|real|formats)\b", source, re.M)
    validation = (Path(__file__).resolve().parent.parent / "training" / "corpus" / "validation.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*from \.(loading|real|formats)\b", validation, re.M)
