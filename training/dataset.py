"""The corpus as a ``datasets.DatasetDict``: documents, folds and labelled windows.

``build_dataset`` returns two splits:

* ``documents``: one row per document (id, source, text, spans, fold);
* ``windows``: one row per overlapping token window (doc_id, fold,
  input_ids, attention_mask, labels, offsets), each sub-word labelled in IOB2
  from the character spans (``-100`` on [CLS]/[SEP], which the loss ignores).

Folds are for leave-one-document-out cross-validation over the real articles:
every ``seed`` or ``user`` document is a fold of its own (``fold`` 0..n-1 in
id order); ``authored`` documents have ``fold = -1`` and are only ever
training data, never scored as if they were real.
"""

from __future__ import annotations

from typing import Sequence

from datasets import Dataset, DatasetDict

from eventslots.model.schema import DEFAULT_SCHEMA
from eventslots.model.tagging import spans_to_tags
from eventslots.model.windows import DEFAULT_STRIDE_TOKENS, DEFAULT_WINDOW_TOKENS, encode_text, plan_windows, window_inputs

from .corpus import Document

IGNORE = -100
TRAIN_ONLY_SOURCES = ("authored", "real")


def assign_folds(documents: Sequence[Document]) -> dict[str, int]:
    held_out = sorted(d.id for d in documents if d.source not in TRAIN_ONLY_SOURCES)
    folds = {doc_id: i for i, doc_id in enumerate(held_out)}
    return {d.id: folds.get(d.id, -1) for d in documents}


def document_windows(
    tokenizer, document: Document, window_tokens: int, stride_tokens: int, label2id: dict[str, int] = DEFAULT_SCHEMA.label2id
) -> list[dict]:
    encoded = encode_text(tokenizer, document.text)
    tags = spans_to_tags(encoded.offsets, document.spans)
    rows = []
    for window in plan_windows(encoded, window_tokens, stride_tokens):
        ids = window_inputs(tokenizer, encoded, window)
        labels = [IGNORE, *(label2id[t] for t in tags[window.start : window.end]), IGNORE]
        rows.append(
            {
                "doc_id": document.id,
                "input_ids": ids,
                "attention_mask": [1] * len(ids),
                "labels": labels,
                "offsets": [[0, 0], *map(list, encoded.offsets[window.start : window.end]), [0, 0]],
            }
        )
    return rows


def build_dataset(
    documents: Sequence[Document],
    tokenizer,
    window_tokens: int = DEFAULT_WINDOW_TOKENS,
    stride_tokens: int = DEFAULT_STRIDE_TOKENS,
) -> DatasetDict:
    folds = assign_folds(documents)
    document_rows = [
        {
            "id": d.id,
            "source": d.source,
            "text": d.text,
            "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in d.spans],
            "fold": folds[d.id],
        }
        for d in documents
    ]
    window_rows = []
    for document in documents:
        for row in document_windows(tokenizer, document, window_tokens, stride_tokens):
            row["fold"] = folds[document.id]
            row["source"] = document.source
            window_rows.append(row)
    return DatasetDict(documents=Dataset.from_list(document_rows), windows=Dataset.from_list(window_rows))


def fold_split(dataset: DatasetDict, fold: int) -> DatasetDict:
    """Training windows of every other document, and the held-out document itself."""
    return DatasetDict(
        train=dataset["windows"].filter(lambda row: row["fold"] != fold),
        test=dataset["documents"].filter(lambda row: row["fold"] == fold),
    )


def fold_count(dataset: DatasetDict) -> int:
    return max(dataset["documents"]["fold"], default=-1) + 1
