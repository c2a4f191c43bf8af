"""Shared fixtures: small on-disk annotation files and the real seed corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eventslots.model.base import load_tokenizer
from eventslots.model.paths import CORPUS_DIR, SEEDS_DIR
from eventslots.training.corpus import load_documents

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tokenizer():
    return load_tokenizer()


@pytest.fixture(scope="session")
def seed_documents():
    return load_documents([CORPUS_DIR / "seeds"])


@pytest.fixture
def tiny_file(tmp_path) -> Path:
    path = tmp_path / "tiny.jsonl"
    shutil.copy(FIXTURES / "tiny.jsonl", path)
    return path


@pytest.fixture
def seed_files(tmp_path) -> Path:
    """A copy of the seed annotations in a temporary folder, safe to corrupt."""
    folder = tmp_path / "annotations"
    shutil.copytree(CORPUS_DIR / "seeds", folder)
    return folder


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS_DIR


# A tiny model: the real base encoder fine-tuned for a few dozen steps on the seeds,
# enough to tag triggers, weapons and targets in a seed article. Trained once per session.
TINY_CONFIG = dict(learning_rate=3e-4, batch_size=4, window_tokens=128, stride_tokens=32, epochs=100.0, warmup_ratio=0.05)
TINY_STEPS = 40


@pytest.fixture(scope="session")
def tiny_config():
    from eventslots.training.config import TrainingConfig

    return TrainingConfig(sources="seed", **TINY_CONFIG)


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory, tiny_config) -> Path:
    from eventslots.training.jobs import train_and_save

    output = tmp_path_factory.mktemp("models") / "tiny"
    # Training also learns the incident grouping from the seeds' gold incidents.
    train_and_save(tiny_config, output, [str(CORPUS_DIR / "seeds")], progress=False, max_steps=TINY_STEPS)
    return output


@pytest.fixture(scope="session")
def extractor(trained_model_dir):
    from eventslots.model.inference import Extractor

    return Extractor.load(trained_model_dir)


@pytest.fixture(scope="session")
def user_annotations(tmp_path_factory) -> Path:
    """Where the app under test saves corrections (never the repository's annotations/)."""
    return tmp_path_factory.mktemp("annotations")


@pytest.fixture(scope="session")
def app_url(trained_model_dir, user_annotations):
    import socket

    from eventslots.serve.app import build_app, launch

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = build_app(trained_model_dir, annotations_dir=user_annotations)
    launch(demo, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="session")
def muc4_dir() -> Path:
    """The MUC-4 data and reference predictions (``$EVENTSLOTS_DATA`` or shared/data); skips without them."""
    from eventslots.model.paths import shared_data_dir

    root = shared_data_dir()
    if root is None:
        pytest.skip("no shared data folder (set EVENTSLOTS_DATA or add shared/data beside the checkout)")
    if not (root / "muc4").is_dir():
        pytest.skip(f"{root / 'muc4'} is missing: the MUC-4 data and reference predictions are not available")
    return root / "muc4"


MUC4_SCHEMA = Path(__file__).resolve().parent.parent / "benchmarks" / "muc4" / "schema.json"


@pytest.fixture(scope="session")
def muc4_model_dir(tmp_path_factory) -> Path:
    """A tiny model of another schema: the MUC-4 schema file, trained for a few steps on four short
    MUC-4 documents (``fixtures/muc4-tiny.jsonl``), through the same job as ``eventslots train --schema``."""
    from eventslots.training.config import TrainingConfig
    from eventslots.training.jobs import train_and_save

    output = tmp_path_factory.mktemp("models") / "muc4"
    config = TrainingConfig(sources="user", schema=str(MUC4_SCHEMA), **TINY_CONFIG)
    train_and_save(config, output, [str(FIXTURES / "muc4-tiny.jsonl")], progress=False, max_steps=TINY_STEPS)
    return output


@pytest.fixture(scope="session")
def muc4_app(muc4_model_dir, tmp_path_factory):
    """The real app serving the MUC-4 model: (url, the annotations folder it was given)."""
    import socket

    from eventslots.serve.app import build_app, launch

    annotations = tmp_path_factory.mktemp("workspace") / "annotations"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = build_app(muc4_model_dir, annotations_dir=annotations)
    launch(demo, "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/", annotations
    demo.close()
