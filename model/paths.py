"""Where eventslots finds its shipped data and keeps what it writes.

Two places, never confused:

- **The package** (read-only): the annotated corpus (``annotations/``) and the
  seed articles (``seeds/``) are installed inside ``eventslots`` beside
  ``model/``, whether from a checkout (editable) or a wheel.
- **The workspace** (written): models, reports and the annotations users save.
  It is ``$EVENTSLOTS_HOME`` if set, else the current directory, so it never
  depends on where the package is installed. In a checkout, run from the
  repository root, the workspace is the checkout itself.
"""

from __future__ import annotations

import os
from pathlib import Path

# model/ sits beside annotations/ and seeds/ both in the repository and in site-packages/eventslots/.
PACKAGE_DATA = Path(__file__).resolve().parent.parent
CORPUS_DIR = PACKAGE_DATA / "annotations"
SEEDS_DIR = PACKAGE_DATA / "seeds"

HOME_ENV = "EVENTSLOTS_HOME"
MODEL_ENV = "EVENTSLOTS_MODEL"


def workspace() -> Path:
    """``$EVENTSLOTS_HOME`` or the current directory."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured).expanduser() if configured else Path.cwd()


def workspace_annotations_dir() -> Path:
    """Annotation files a user adds; every ``*.jsonl`` under it joins the shipped corpus."""
    return workspace() / "annotations"


def models_dir() -> Path:
    return workspace() / "models"


def reports_dir() -> Path:
    return workspace() / "reports"


def default_model_dir() -> Path:
    """The model ``predict()`` and the app use: ``$EVENTSLOTS_MODEL`` or ``<workspace>/models/default``."""
    configured = os.environ.get(MODEL_ENV)
    return Path(configured).expanduser() if configured else models_dir() / "default"


def corpus_roots(*extra: Path) -> list[Path]:
    """The shipped corpus, the workspace's annotations and any ``extra`` folders that exist, once each
    (the first two are one folder in a checkout)."""
    roots: list[Path] = []
    for root in (CORPUS_DIR, workspace_annotations_dir(), *extra):
        if root.is_dir() and all(root.resolve() != r.resolve() for r in roots):
            roots.append(root)
    return roots


DATA_ENV = "EVENTSLOTS_DATA"


def shared_data_dir() -> Path | None:
    """The public corpora (MUC-4, WikiEvents) the real-article corpus was drawn from: ``$EVENTSLOTS_DATA``,
    else a ``shared/data`` folder beside the workspace or beside the checkout; None when there is none."""
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured).expanduser()
    for candidate in (workspace().resolve().parent / "shared" / "data", PACKAGE_DATA.parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None
