"""Fine-tuning the encoder as a token classifier.

A plain PyTorch loop, kept small so every source of randomness is under the
seed: initialisation of the head, dropout, the order of batches and the
augmentation. Batches group windows of similar length so padding costs little
on CPU. The loss is cross-entropy over the tags a token may take: one tag for
fully annotated documents, and for partially annotated auxiliary documents an
``O`` token may also be any tag of a slot that source does not annotate, so the
model is never taught that an unannotated time or casualty is ``O``.
"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from eventslots.model.base import resolve_base_model
from eventslots.model.schema import OUTSIDE, Schema, load_schema, tags_of

from .augment import augment_documents
from .corpus.auxiliary import Partial
from .config import TrainingConfig
from .corpus import Document
from .dataset import IGNORE, document_windows
from .corpus.real import drop_held_out


LOG_EVERY_SECONDS = 30


@dataclass
class TrainedModel:
    model: object
    tokenizer: object
    config: TrainingConfig
    schema: Schema
    history: list[dict]
    seconds: float
    windows: int


def set_seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def open_tag_ids(unannotated: Sequence[str], schema: Schema) -> list[int]:
    """Tags an ``O`` token may really have when ``unannotated`` slots were not annotated."""
    return [schema.label2id[OUTSIDE]] + [schema.label2id[tag] for label in unannotated for tag in tags_of(label)]


def training_rows(
    documents: Sequence[Document], tokenizer, config: TrainingConfig, schema: Schema, partial: Sequence[Partial] = ()
) -> list[dict]:
    """Token windows to train on: ``documents`` fully labelled, then the ``partial`` ones."""
    rows = []
    for document, unannotated, unsure in [(d, [], []) for d in documents] + list(partial):
        open_ids = open_tag_ids(unannotated, schema)
        for row in document_windows(tokenizer, document, config.window_tokens, config.stride_tokens, schema.label2id):
            labels = row["labels"]
            if unsure:
                labels = [
                    IGNORE if any(start < end_ and start_ < end for start_, end_ in unsure) else label
                    for label, (start, end) in zip(labels, row["offsets"])
                ]
            rows.append({"input_ids": row["input_ids"], "labels": labels, "open": open_ids})
    return rows


def length_grouped_batches(rows: list[dict], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of windows of similar length (less padding, same randomness per seed)."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    group = batch_size * 16
    batches = []
    for i in range(0, len(order), group):
        chunk = sorted(order[i : i + group], key=lambda j: len(rows[j]["input_ids"]))
        batches.extend(chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def collate(rows: list[dict], pad_id: int, schema: Schema):
    import torch

    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    allowed = torch.zeros((len(rows), width, len(schema.tags)), dtype=torch.bool)
    for i, row in enumerate(rows):
        n = len(row["input_ids"])
        ids[i, :n] = torch.tensor(row["input_ids"])
        mask[i, :n] = 1
        for t, label in enumerate(row["labels"]):
            if label == IGNORE:
                continue
            if label == schema.label2id[OUTSIDE]:
                allowed[i, t, row["open"]] = True
            else:
                allowed[i, t, label] = True
    return ids, mask, allowed


def allowed_tags_loss(logits, allowed):
    """-log of the probability mass on the allowed tags, averaged over labelled tokens."""
    import torch

    log_probs = torch.log_softmax(logits.float(), dim=-1)
    labelled = allowed.any(dim=-1)
    masked = log_probs.masked_fill(~allowed, float("-inf"))
    token_loss = -torch.logsumexp(masked[labelled], dim=-1)
    return token_loss.mean() if token_loss.numel() else logits.sum() * 0.0


def load_base(config: TrainingConfig, schema: Schema):
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    path = resolve_base_model(config.base_model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "classifier newly initialised" report is expected here
    hf_logging.disable_progress_bar()
    try:
        model = AutoModelForTokenClassification.from_pretrained(
            path, num_labels=len(schema.tags), id2label=dict(schema.id2label), label2id=dict(schema.label2id)
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    return model, tokenizer


def train(
    documents: Sequence[Document],
    config: TrainingConfig,
    auxiliary: Sequence[Partial] = (),
    progress: bool = True,
    max_steps: int | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainedModel:
    """Fine-tune ``config.base_model`` on ``documents`` (plus partially labelled ``auxiliary`` ones).

    Real-dev and real-test documents, and copies of their texts, are dropped
    whoever calls this: held-out text is never trained on.
    """
    import torch
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    started = time.perf_counter()
    documents = drop_held_out(documents)
    allowed = {d.id for d in drop_held_out([p.document for p in auxiliary])}
    auxiliary = [p for p in auxiliary if p.document.id in allowed]
    schema = load_schema(config.schema)
    set_seed(config.seed)
    model, tokenizer = load_base(config, schema)
    rng = random.Random(config.seed)

    repeated = [d for d in documents if d.source == "real"] * (config.real_weight - 1)
    training_docs = list(documents) + repeated + augment_documents(documents, config.augment_copies, rng)
    outside = sorted({f"{d.id}: {s.label}" for d in documents for s in d.spans if s.label not in schema.label_names})
    if outside:
        raise ValueError(f"labels outside the {schema.name} schema ({', '.join(schema.label_names)}): {'; '.join(outside[:10])}")
    rows = training_rows(training_docs, tokenizer, config, schema)
    rows += training_rows([], tokenizer, config, schema, auxiliary)
    if not rows:
        raise ValueError("no training data: the selected sources hold no documents")

    steps_per_epoch = math.ceil(len(rows) / config.batch_size)
    total_steps = max(1, round(steps_per_epoch * config.epochs))
    if max_steps is not None:
        total_steps = min(total_steps, max_steps)
    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ("bias", "LayerNorm", "layer_norm"))]
    no_decay = [p for n, p in model.named_parameters() if any(k in n for k in ("bias", "LayerNorm", "layer_norm"))]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.learning_rate,
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total_steps), total_steps)

    model.train()
    history: list[dict] = []
    step, running = 0, None
    # disable=None: a bar on a terminal, silence in logs and pipes.
    bar = tqdm(total=total_steps, desc="training", unit="step", disable=None if progress else True, dynamic_ncols=True)
    # Off a terminal the bar is silent, so a log still gets a line every LOG_EVERY_SECONDS.
    log_lines = progress and bar.disable
    last_line = first_step = time.monotonic()
    epoch = 0
    while step < total_steps:
        for batch in length_grouped_batches(rows, config.batch_size, rng):
            if step >= total_steps:
                break
            ids, mask, allowed = collate([rows[i] for i in batch], tokenizer.pad_token_id, schema)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.precision == "bf16"):
                logits = model(input_ids=ids, attention_mask=mask).logits
            loss = allowed_tags_loss(logits.float(), allowed)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            value = float(loss.detach())
            running = value if running is None else 0.9 * running + 0.1 * value
            bar.update(1)
            bar.set_postfix(loss=f"{running:.4f}", epoch=epoch + 1)
            if on_step:
                on_step(step, value)
            if log_lines and (time.monotonic() - last_line >= LOG_EVERY_SECONDS or step == total_steps):
                last_line = time.monotonic()
                per_step = (time.monotonic() - first_step) / step
                print(f"training: step {step}/{total_steps}, epoch {epoch + 1}, loss {running:.4f}, "
                      f"{time.perf_counter() - started:.0f} s, about {per_step * (total_steps - step):.0f} s left",
                      file=sys.stderr, flush=True)
        epoch += 1
        history.append({"epoch": epoch, "step": step, "loss": running})
    bar.close()
    model.eval()
    return TrainedModel(model, tokenizer, config, schema, history, time.perf_counter() - started, len(rows))
