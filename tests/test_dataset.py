"""The dataset function: document-level folds, windows that cover everything, labels that give back every span."""

from __future__ import annotations

from eventslots.model.schema import DEFAULT_SCHEMA
from eventslots.model.tagging import tags_to_spans
from eventslots.training.dataset import IGNORE, build_dataset, fold_count, fold_split

WINDOW, STRIDE = 64, 16  # small windows, so every seed article needs many of them


def test_folds_hold_out_one_real_document(seed_documents, tokenizer):
    dataset = build_dataset(seed_documents, tokenizer, WINDOW, STRIDE)
    assert fold_count(dataset) == 5
    for fold in range(5):
        split = fold_split(dataset, fold)
        [held_out] = split["test"]["id"]
        assert held_out not in set(split["train"]["doc_id"])
        assert len(set(split["train"]["doc_id"])) == 4


def test_authored_documents_are_never_held_out(seed_documents, tokenizer):
    from eventslots.training.corpus import Document

    authored = Document("authored-x-001", "Rockets hit Sderot.", (), "authored")
    dataset = build_dataset([*seed_documents, authored], tokenizer, WINDOW, STRIDE)
    assert dict(zip(dataset["documents"]["id"], dataset["documents"]["fold"]))["authored-x-001"] == -1
    assert fold_count(dataset) == 5


def test_windows_cover_every_character_and_return_every_span(seed_documents, tokenizer):
    dataset = build_dataset(seed_documents, tokenizer, WINDOW, STRIDE)
    for document in seed_documents:
        windows = dataset["windows"].filter(lambda row: row["doc_id"] == document.id)
        assert len(windows) > 3  # never truncated: a long article is many windows
        assert max(len(ids) for ids in windows["input_ids"]) <= WINDOW
        covered, token_tags = set(), {}
        for offsets, labels in zip(windows["offsets"], windows["labels"]):
            for (start, end), label in zip(offsets, labels):
                if label == IGNORE:
                    continue
                covered.update(range(start, end))
                token_tags[(start, end)] = DEFAULT_SCHEMA.id2label[label]
        assert all(i in covered for i, c in enumerate(document.text) if not c.isspace())
        tokens = sorted(token_tags)
        # A word's tag is its first sub-word's; continuation sub-words carry I- of the same span.
        words, tags = [], []
        for start, end in tokens:
            if words and start == words[-1][1] and document.text[start - 1].isalnum() and document.text[start].isalnum():
                words[-1] = (words[-1][0], end)
                continue
            words.append((start, end))
            tags.append(token_tags[(start, end)])
        assert tags_to_spans(document.text, words, tags) == list(document.spans)
