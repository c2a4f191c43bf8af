"""Scoring a tagger on annotated documents, and leave-one-document-out cross-validation."""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from eventslots.model.inference import Extractor
from eventslots.model.spans import Span

from .corpus.auxiliary import load_auxiliary
from eventslots.model.schema import load_schema
from .config import TrainingConfig
from .corpus import Document, corpus_hash
from .dataset import assign_folds
from .metrics import evaluate_documents, pair_documents
from .corpus.real import drop_held_out
from .train import train

Predictor = Callable[[Sequence[str]], list[list[Span]]]


def predict_documents(predict_batch: Predictor, documents: Sequence[Document], chunk: int = 16) -> dict[str, list[Span]]:
    predicted: dict[str, list[Span]] = {}
    for i in range(0, len(documents), chunk):
        part = documents[i : i + chunk]
        for document, spans in zip(part, predict_batch([d.text for d in part])):
            predicted[document.id] = spans
    return predicted


def evaluate_predictor(predict_batch: Predictor, documents: Sequence[Document]) -> dict:
    return evaluate_documents(pair_documents(documents, predict_documents(predict_batch, documents)))


def extractor_for(trained) -> Extractor:
    return Extractor(trained.model, trained.tokenizer, trained.config.window_tokens, trained.config.stride_tokens, schema=trained.schema)


def int8_reader(extractor: Extractor) -> Extractor:
    """The same reader with the forward pass of the model's int8 ONNX graph (exported, then loaded)."""
    import tempfile

    from eventslots.model.backends import OnnxTagger
    from eventslots.model.export import export_onnx

    with tempfile.TemporaryDirectory() as folder:
        graph = export_onnx(extractor.model, Path(folder))["onnx-int8"]
        tagger = OnnxTagger(graph, extractor.tags)  # the session holds the graph; the file may go
    return Extractor(tagger, extractor.tokenizer, extractor.window_tokens, extractor.stride_tokens, schema=extractor.schema)


def select_sources(documents: Sequence[Document], config: TrainingConfig) -> list[Document]:
    """The training documents of ``config``'s sources, never real-dev or real-test."""
    wanted = set(config.source_list())
    return drop_held_out([d for d in documents if d.source in wanted])


def headline(result: dict) -> dict:
    """The figures worth a table row: seqeval micro/macro F1 and span F1s."""
    return {
        "seqeval_micro_f1": result["seqeval"]["micro"]["f1"],
        "seqeval_macro_f1": result["seqeval"]["macro"]["f1"],
        "seqeval_micro_precision": result["seqeval"]["micro"]["precision"],
        "seqeval_micro_recall": result["seqeval"]["micro"]["recall"],
        "exact_micro_f1": result["exact"]["micro"]["f1"],
        "overlap_micro_f1": result["overlap"]["micro"]["f1"],
    }


def crossval(
    documents: Sequence[Document],
    config: TrainingConfig,
    fit_predictor: Callable[[Sequence[Document]], Predictor] | None = None,
    authored_limit: int | None = None,
    folds: Sequence[int] | None = None,
    progress: bool = True,
    int8: bool = False,
) -> dict:
    """Leave one real document out at a time: train on the rest, score the one left out.

    ``fit_predictor`` trains any system on a list of documents (default: the
    transformer with ``config``); baselines pass their own. ``authored_limit``
    keeps only that many authored documents (a fixed random sample per seed,
    nested: the first 40 are among the first 80), for learning curves. ``int8``
    also exports each fold's model and scores its int8 ONNX graph on the same
    held-out documents (the backend gate's cross-validation measure).
    """
    documents = select_sources(documents, config)
    if authored_limit is not None:
        authored = sorted((d for d in documents if d.source == "authored"), key=lambda d: d.id)
        random.Random(config.seed).shuffle(authored)
        keep = {d.id for d in authored[:authored_limit]}
        documents = [d for d in documents if d.source != "authored" or d.id in keep]
    fold_of = assign_folds(documents)
    fold_ids = sorted({f for f in fold_of.values() if f >= 0})
    if not fold_ids:
        raise ValueError("cross-validation needs real (seed or user) documents to hold out")
    auxiliary = load_auxiliary(config.auxiliary, load_schema(config.schema)) if config.auxiliary else []
    # The transformer's folds also score incident records: the grouping is learned on the fold's
    # training documents, and the held-out articles' records are scored beside the rule baseline.
    records: dict[str, dict[str, list]] = {}
    scored_for_incidents: list[Document] = []
    quantised: dict[str, list] = {}

    def fit_transformer(training: Sequence[Document], held_out: Sequence[Document]) -> Predictor:
        from .grouping import fit_grouping, grouped_documents
        from .incident_metrics import incident_records

        extractor = extractor_for(train(training, config, auxiliary, progress=progress))
        if int8:
            quantised.update(predict_documents(int8_reader(extractor).predict_batch, held_out))
        held_with_ids = [d for d in held_out if d.spans and all(s.event for s in d.spans)]
        if held_with_ids and grouped_documents(training):
            try:
                extractor.grouping, _ = fit_grouping(extractor, training, progress=progress)
            except ValueError:
                extractor.grouping = None
            for name, found in incident_records(extractor, held_with_ids, gold_spans=False).items():
                records.setdefault(name, {}).update(found)
            scored_for_incidents.extend(held_with_ids)
        return extractor.predict_batch

    def fit(training: Sequence[Document], held_out: Sequence[Document]) -> Predictor:
        return fit_predictor(training) if fit_predictor else fit_transformer(training, held_out)

    started = time.perf_counter()
    per_fold, pooled, pooled_int8 = [], [], []
    chosen = list(folds if folds is not None else fold_ids)
    for done, fold in enumerate(chosen, start=1):
        held_out = [d for d in documents if fold_of[d.id] == fold]
        training = [d for d in documents if fold_of[d.id] != fold]
        predicted = predict_documents(fit(training, held_out), held_out)
        scored = pair_documents(held_out, predicted)
        pooled.extend(scored)
        result = evaluate_documents(scored)
        per_fold.append({"fold": fold, "documents": [d.id for d in held_out], **headline(result), "seqeval": result["seqeval"]})
        if quantised:
            scored_int8 = pair_documents(held_out, quantised)
            pooled_int8.extend(scored_int8)
            per_fold[-1]["int8"] = headline(evaluate_documents(scored_int8))
        if progress:  # training lines show each fold's steps; this says where the whole run is
            elapsed = time.perf_counter() - started
            print(f"crossval: fold {done}/{len(chosen)} ({', '.join(d.id for d in held_out)}) seqeval F1 "
                  f"{per_fold[-1]['seqeval_micro_f1']:.3f}, {elapsed:.0f} s, about {elapsed / done * (len(chosen) - done):.0f} s left",
                  file=sys.stderr, flush=True)
    pooled_result = evaluate_documents(pooled)
    incidents = None
    if records:
        from .incident_metrics import template_scores

        incidents = {name: template_scores(scored_for_incidents, found) for name, found in records.items()}
    mean = {
        key: statistics.mean(f[key] for f in per_fold) for key in headline(pooled_result)
    }
    return {
        "kind": "crossval",
        "config": config.to_dict(),
        "config_fingerprint": config.fingerprint(),
        "data_hash": corpus_hash(documents),
        "training_documents": len(documents) - 1,
        "authored_documents": sum(d.source == "authored" for d in documents),
        "folds": per_fold,
        "mean": mean,
        "pooled": pooled_result,
        # Incident records of the held-out articles, per grouping, on the fold models' spans (None for peers).
        "incidents": incidents,
        # The same folds read by each fold model's int8 ONNX graph (with int8=True).
        "int8": {"mean": {key: statistics.mean(f["int8"][key] for f in per_fold) for key in per_fold[0]["int8"]},
                 "pooled": headline(evaluate_documents(pooled_int8))} if pooled_int8 else None,
        "seconds": time.perf_counter() - started,
    }


