"""Shared fixtures: small on-disk annotation files and the real seed corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from model.base import load_tokenizer
from model.paths import ANNOTATIONS_DIR, SEEDS_DIR
from training.corpus import load_documents

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tokenizer():
    return load_tokenizer()


@pytest.fixture(scope="session")
def seed_documents():
    return load_documents([ANNOTATIONS_DIR / "seeds"])


@pytest.fixture
def tiny_file(tmp_path) -> Path:
    path = tmp_path / "tiny.jsonl"
    shutil.copy(FIXTURES / "tiny.jsonl", path)
    return path


@pytest.fixture
def seed_files(tmp_path) -> Path:
    """A copy of the seed annotations in a temporary folder, safe to corrupt."""
    folder = tmp_path / "annotations"
    shutil.copytree(ANNOTATIONS_DIR / "seeds", folder)
    return folder


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS_DIR
