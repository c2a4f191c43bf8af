"""Where the project keeps its data and models, and the settings that move them."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS_DIR = REPO_ROOT / "annotations"
SEEDS_DIR = REPO_ROOT / "seeds"
# Inside the repository, ignored by git; EVENTSLOTS_MODEL points elsewhere.
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / "default"
MODEL_ENV = "EVENTSLOTS_MODEL"


def default_model_dir() -> Path:
    """The model ``predict()`` and the app use: ``$EVENTSLOTS_MODEL`` or ``models/default``."""
    configured = os.environ.get(MODEL_ENV)
    return Path(configured).expanduser() if configured else DEFAULT_MODEL_DIR
