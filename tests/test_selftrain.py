"""Self-training: pseudo-labels from a real (tiny) model, and unsure regions that teach nothing."""

import json

import pytest

from eventslots.model.paths import shared_data_dir
from eventslots.model.schema import DEFAULT_SCHEMA, LABEL_NAMES
from eventslots.training.corpus.auxiliary import Partial, load_auxiliary
from eventslots.training.config import TrainingConfig
from eventslots.training.corpus import AnnotationError, Document
from eventslots.training.dataset import IGNORE
from eventslots.training.selftrain import pseudo_label, unlabelled_muc4, write_auxiliary
from eventslots.training.train import training_rows

TEXT = "Rebels fired two rockets at the airport in Kandahar on Monday, police said."


def test_unsure_regions_teach_nothing_and_the_rest_is_taught(tokenizer):
    document = Document.from_json({"id": "x", "source": "auxiliary", "text": TEXT, "spans": []})
    config = TrainingConfig()
    full = training_rows([document], tokenizer, config, DEFAULT_SCHEMA)[0]["labels"]
    unsure = TEXT.index("two rockets"), TEXT.index("two rockets") + len("two rockets")
    partial = training_rows([], tokenizer, config, DEFAULT_SCHEMA, [Partial(document, [], [unsure])])[0]
    ignored = [i for i, (a, b) in enumerate(zip(full, partial["labels"])) if a != b]
    assert ignored and all(partial["labels"][i] == IGNORE for i in ignored)
    # exactly the sub-words of "two rockets" (3 here: two, rocket, ##s) stop teaching O; their neighbours still do
    assert len(ignored) == len(tokenizer("two rockets", add_special_tokens=False)["input_ids"])


def test_auxiliary_file_with_a_bad_unsure_range_names_file_and_line(tmp_path):
    record = {"id": "a", "source": "auxiliary", "text": TEXT, "spans": [], "annotated": list(LABEL_NAMES), "unsure": [[5, 999]]}
    path = tmp_path / "aux.jsonl"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(AnnotationError, match=r"aux.jsonl:1.*unsure"):
        load_auxiliary(path)


def test_pseudo_labels_split_spans_by_score_and_round_trip(extractor, tmp_path):
    texts = [("doc-1", TEXT), ("doc-2", "The talks on the new budget resumed in the capital on Thursday.")]
    everything = extractor.predict_batch([t for _, t in texts], min_score=0.0)
    scores = sorted(s.score for spans in everything for s in spans)
    assert scores, "the tiny model should find some span in an attack sentence"
    keep = scores[len(scores) // 2]  # half the spans sure, half unsure
    records = pseudo_label(extractor, texts, keep=keep, floor=0.0)
    sure = [(s["start"], s["end"]) for r in records for s in r["spans"]]
    unsure = [tuple(u) for r in records for u in r["unsure"]]
    assert len(sure) + len(unsure) == len(scores) and sure and unsure
    path = write_auxiliary(records, tmp_path / "pseudo.jsonl")
    loaded = load_auxiliary(path)
    assert [p.document.id for p in loaded] == ["selftrain-doc-1", "selftrain-doc-2"]
    assert all(p.unannotated == [] for p in loaded)  # every label annotated: the rest of the text is O
    assert [tuple(u) for p in loaded for u in p.unsure] == unsure
    with pytest.raises(FileExistsError):
        write_auxiliary(records, path)


@pytest.mark.skipif(shared_data_dir() is None, reason="no copy of ../shared/data (MUC-4) here")
def test_unlabelled_news_leaves_out_every_annotated_text():
    from eventslots.training.corpus import load_documents
    from eventslots.training.corpus.real import text_key

    documents = load_documents()
    texts = unlabelled_muc4(shared_data_dir(), documents, limit=50)
    annotated_ids = {d.meta.get("origin", {}).get("id") for d in documents if isinstance(d.meta, dict)}
    assert len(texts) == 50 and not {i for i, _ in texts} & annotated_ids
    assert not {text_key(t) for _, t in texts} & {text_key(d.text) for d in documents}
