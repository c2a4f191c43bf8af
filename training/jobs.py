"""The jobs behind ``eventslots train``, ``evaluate`` and ``crossval``."""

from __future__ import annotations

import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from eventslots.model import store
from eventslots.model.export import export_onnx
from eventslots.model.inference import SETTINGS_FILE, Extractor
from eventslots.model.paths import corpus_roots, default_model_dir, reports_dir
from eventslots.model.schema import DEFAULT_SCHEMA, Schema, load_schema

from .corpus.auxiliary import load_auxiliary
from .config import TrainingConfig, check_settings, config_fields
from .corpus import Document, corpus_hash, load_documents
from .evaluate import crossval, evaluate_predictor, extractor_for, headline, predict_documents, select_sources
from .heldout import evaluate_split, split_summary
from .corpus.real import split_documents, standoff_records
from .backend_gate import measure_gate, record_gate
from .report import per_label_table, summary_table, write_report
from .train import train


def train_command(config: TrainingConfig) -> str:
    """The ``eventslots train`` command line that reproduces ``config``."""
    defaults = TrainingConfig()
    options = [
        f"--{f.name.replace('_', '-')} {getattr(config, f.name)}"
        for f in config_fields()
        if getattr(config, f.name) != getattr(defaults, f.name)
    ]
    return " ".join(["eventslots train", *options])


def crossval_dir(config: TrainingConfig, documents: Sequence[Document]) -> Path:
    return reports_dir() / "crossval" / f"{config.fingerprint()}-{corpus_hash(documents)[:12]}"


def corpus_summary(documents: Sequence[Document]) -> dict:
    return {
        "documents": dict(Counter(d.source for d in documents)),
        "spans": dict(Counter(s.label for d in documents for s in d.spans)),
    }


def model_card(config: TrainingConfig, metadata: dict, crossval_report: dict | None, schema: Schema = DEFAULT_SCHEMA) -> str:
    corpus = metadata["corpus"]
    docs = ", ".join(f"{n} {source}" for source, n in sorted(corpus["documents"].items()))
    spans = " · ".join(f"{label} {corpus['spans'].get(label, 0)}" for label in schema.label_names)
    settings = "\n".join(f"| `{k}` | {v} |" for k, v in config.to_dict().items())
    parts = [
        f"# eventslots slot tagger: the {schema.name} schema\n",
        f"The `{config.base_model}` encoder, fine-tuned as a token classifier (IOB2 over the {len(schema.labels)} slots "
        f"below, declared in `schema.json`). {schema.description} Load it with `from eventslots import Extractor; "
        'Extractor.load(DIR)`, or with `transformers.pipeline("token-classification", model=DIR, aggregation_strategy="first")`.\n',
        schema.markdown_table() + "\n",
        "## Training data\n",
        f"{docs} documents ({metadata['training_windows']} windows); spans: {spans}.  ",
        f"Annotation data hash (SHA-256): `{metadata['data_hash']}`.\n",
        "## Settings\n",
        "| setting | value |\n|---|---|\n" + settings + "\n",
        f"Reproduce: `{metadata['command']}` (trained in {metadata['training_seconds']:.0f} s on "
        f"{metadata['environment']['threads']} CPU threads).\n",
    ]
    grouping = metadata.get("incident_grouping")
    parts.append(
        "## Incident grouping\n\n"
        + (f"`grouping.json` groups the spans into incidents for `extract_incidents`: learned from {grouping['fitted_on']} "
           f"in {grouping['seconds']:.0f} s (README, \"Incident records\").\n" if grouping else
           "No training document had incident ids, so `extract_incidents` groups spans by the rule baseline.\n")
    )
    parts += ["## Metrics\n"]
    if crossval_report:
        parts += [
            "Leave-one-document-out cross-validation over the real articles, with these settings and this data "
            f"(`eventslots crossval{_options(config)}`); pooled over the held-out documents:\n",
            summary_table(crossval_report["pooled"]) + "\n",
            per_label_table(crossval_report["pooled"]) + "\n",
            f"Mean over the {len(crossval_report['folds'])} folds: seqeval micro F1 "
            f"{crossval_report['mean']['seqeval_micro_f1']:.3f}.\n",
        ]
    else:
        parts += [
            f"No cross-validation has been run with these settings and this data; `eventslots crossval{_options(config)}` "
            "runs it and the next `eventslots train` puts its figures here.\n"
        ]
    fit = metadata["metrics"]["training_fit"]
    if fit:
        parts.append(
            f"On the real articles it was trained on (fit, not an estimate of accuracy): seqeval micro F1 {fit['seqeval_micro_f1']:.3f}.\n"
        )
    if schema != DEFAULT_SCHEMA:
        parts += ["## Limits\n", f"Trained on the documents counted above ({docs}), annotated in the {schema.name} schema; "
                  "expect lower accuracy on text unlike them, and check the spans it returns.\n"]
        return "\n".join(parts)
    parts += [
        "## Limits\n",
        f"Trained on the documents counted above ({docs}): English news about attacks, most of it FBIS translations "
        "of 1988-90 Latin American broadcasts and texts written for training. On real articles it has never seen it "
        "scores well below a careful annotator (the project README's real-test section says how far); expect lower "
        "accuracy on other styles and conflicts, and check the spans it returns. "
        "Spans follow the project's annotation guideline (`annotations/GUIDELINES.md`).\n",
    ]
    return "\n".join(parts)


def _options(config: TrainingConfig) -> str:
    command = train_command(config)
    return command[len("eventslots train") :]


def train_and_save(
    config: TrainingConfig,
    output: str | Path | None = None,
    annotation_paths: Sequence[str] | None = None,
    progress: bool = True,
    max_steps: int | None = None,
) -> dict:
    """Train on the annotation files and publish the model directory; returns its metadata."""
    output = Path(output) if output else default_model_dir()
    check_settings(config)
    with store.writing(output):
        return _train_and_publish(config, output, annotation_paths, progress, max_steps)


# The training fit is a sanity check, so it reads at most this many documents.
FIT_DOCUMENTS = 100


def _train_and_publish(config, output: Path, annotation_paths, progress: bool, max_steps: int | None) -> dict:
    schema = load_schema(config.schema)
    if schema != DEFAULT_SCHEMA and not annotation_paths:
        raise ValueError(f"--schema {config.schema}: give the documents annotated in the {schema.name} schema with "
                         "--annotations (the shipped corpus uses the default attack schema)")
    documents = select_sources(load_documents(annotation_paths, schema=schema), config)
    auxiliary = load_auxiliary(config.auxiliary, schema) if config.auxiliary else []
    trained = train(documents, config, auxiliary, progress=progress, max_steps=max_steps)
    grouping, grouping_stats = _learn_grouping(trained, documents, progress)
    # Fit on the seed and user articles trained on: a sanity check that costs seconds, not an accuracy estimate.
    real = [d for d in documents if d.source in ("seed", "user")][:FIT_DOCUMENTS]
    fit = evaluate_predictor(extractor_for(trained).predict_batch, real) if real else None
    cv_path = crossval_dir(config, documents) / "report.json"
    cv_report = json.loads(cv_path.read_text(encoding="utf-8")) if cv_path.exists() else None
    metadata = {
        "config": config.to_dict(),
        "data_hash": corpus_hash(documents),
        "corpus": corpus_summary(documents),
        "training_windows": trained.windows,
        "training_seconds": trained.seconds,
        "incident_grouping": grouping_stats,
        "history": trained.history,
        "metrics": {
            "training_fit": headline(fit) if fit else None,
            "crossval": {"pooled": headline(cv_report["pooled"]), "mean": cv_report["mean"]} if cv_report else None,
        },
        "annotations": [str(Path(p).resolve()) for p in annotation_paths] if annotation_paths else None,
        "command": train_command(config) + (f" --annotations {' '.join(map(str, annotation_paths))}" if annotation_paths else "")
        + (f" --max-steps {max_steps}" if max_steps else ""),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "environment": environment(),
    }
    card = model_card(config, metadata, cv_report, schema)

    def save(folder: Path) -> None:
        trained.model.save_pretrained(folder)
        trained.tokenizer.save_pretrained(folder)
        schema.save(folder)
        (folder / store.SETTINGS_FILE).write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        (folder / store.CARD_FILE).write_text(card, encoding="utf-8")
        if grouping is not None:
            grouping.save(folder)
        export_onnx(trained.model, folder)  # the ONNX Runtime backends' graphs, published with the weights

    store.write_run(save, output)
    return {**metadata, "output": str(output)}


def _learn_grouping(trained, documents: Sequence[Document], progress: bool):
    """The incident grouping, learned after the tagger where the training documents have gold incidents
    (else none, and records use the rule baseline); a log line says which."""
    import logging

    from .grouping import fit_grouping, grouped_documents

    log = logging.getLogger("eventslots")
    if not grouped_documents(documents):
        log.info("no training document has incident ids: the model groups incidents by the rule baseline")
        return None, None
    try:
        scorer, stats = fit_grouping(extractor_for(trained), documents, progress=progress)
    except ValueError as error:  # e.g. every document holds a single incident
        log.info("incident grouping not learned (%s): records use the rule baseline", error)
        return None, None
    log.info("incident grouping learned from %s in %.0f s", stats["fitted_on"], stats["seconds"])
    return scorer, stats


def environment() -> dict:
    import torch
    import transformers

    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "platform": platform.platform(),
        "threads": torch.get_num_threads(),
    }



def evaluate_model(model_dir: str | Path | None, annotation_paths: Sequence[str] | None, out_dir: str | Path, command: str,
                   backend: str | None = None) -> dict:
    extractor = Extractor.load(model_dir, backend=backend)
    if extractor.schema != DEFAULT_SCHEMA and not annotation_paths:
        raise ValueError(f"the model tags the {extractor.schema.name} schema: give annotation files in it to score on")
    documents = load_documents(annotation_paths, schema=extractor.schema)
    result = evaluate_predictor(extractor.predict_batch, documents)
    result["trained_on"], result["scored"] = trained_on(model_dir, documents), len(documents)
    title = f"Evaluation of {model_dir or default_model_dir()}"
    if result["trained_on"]:
        title += f" (fit, not accuracy: it was trained on {len(result['trained_on'])} of these {len(documents)} documents)"
    write_report(result, out_dir, title, command)
    return result


def trained_on(model_dir: str | Path | None, documents: Sequence[Document]) -> list[str]:
    """Ids of ``documents`` whose text the model's stored settings select for training from today's corpus."""
    from .corpus import text_key
    from .corpus.real import drop_held_out

    path = Path(model_dir) if model_dir else default_model_dir()
    stored = stored_settings(path)
    files = stored.get("annotations")  # the --annotations it was trained on, where not the corpus
    if files and not all(Path(f).exists() for f in files):
        import logging

        logging.getLogger("eventslots").warning(
            "the files %s was trained on are not all here (%s): whether these documents were trained on is not checked", path, ", ".join(files))
        return []
    corpus = load_documents(files, schema=Schema.for_model(path)) if files else load_documents()
    training = drop_held_out(select_sources(corpus, settings_config(stored)))
    keys = {text_key(d.text) for d in training}
    return [d.id for d in documents if text_key(d.text) in keys]


def stored_settings(path: Path) -> dict:
    """What training wrote in a model directory's settings file (empty where it has none)."""
    return json.loads((path / SETTINGS_FILE).read_text(encoding="utf-8")) if (path / SETTINGS_FILE).exists() else {}


def settings_config(stored: dict) -> TrainingConfig:
    """The training settings of ``stored_settings`` (defaults where they say nothing)."""
    known = {f.name for f in config_fields()}
    return TrainingConfig(**{k: v for k, v in stored.get("config", {}).items() if k in known})


def model_settings(model_dir: str | Path | None) -> TrainingConfig:
    """The training settings stored in a model directory (defaults where it has none)."""
    return settings_config(stored_settings(Path(model_dir) if model_dir else default_model_dir()))


def evaluate_on_split(
    model_dir: str | Path | None, split: str, out_dir: str | Path, command: str, peers: bool = False, backend: str | None = None
) -> dict:
    """Score a model on a real-article split; with ``peers``, also the peer systems trained on the
    documents the model was trained on (its stored sources), scored on the same split."""
    schema = Schema.for_model(Path(model_dir) if model_dir else default_model_dir())
    if schema != DEFAULT_SCHEMA:
        raise ValueError(f"{split} is annotated in the default attack schema, and this model tags the {schema.name} "
                         "schema: score it with `eventslots evaluate FILES` on files in its own schema")
    documents = load_documents()
    gold = split_documents(documents, split)
    loaded = {d.id for d in gold}
    absent = [r["id"] for r in standoff_records(corpus_roots()) if r.get("meta", {}).get("split") == split and r["id"] not in loaded]
    if not gold:
        raise ValueError(f"no {split} documents found")
    extractor = Extractor.load(model_dir, backend=backend)
    result = evaluate_split(gold, predict_documents(extractor.predict_batch, gold), split)
    result["absent"] = absent
    result["peers"] = {}
    if peers:
        from .peers import PEERS

        training = select_sources(documents, model_settings(model_dir))
        for name, peer in PEERS.items():
            started = time.perf_counter()
            print(f"training the peer {name} on {len(training)} documents", file=sys.stderr, flush=True)
            system = peer(training, progress=True)
            scored = evaluate_split(gold, predict_documents(system.predict_batch, gold), split)
            result["peers"][name] = {
                **split_summary(scored),
                "per_label": {l: v["f1"] for l, v in scored["exact"]["per_label"].items()},
                "seconds": time.perf_counter() - started,
            }
    write_report(result, out_dir, f"{split}: {model_dir or default_model_dir()}", command)
    return result


def calibrate_model(model_dir: str | Path | None, split: str = "real-dev", annotation_paths: Sequence[str] | None = None) -> dict:
    """Fit the span-score calibration on ``split`` (documents the model never trained on), or on the
    documents of ``annotation_paths`` in the model's schema, and store it in the model directory;
    returns the calibration error before and after, on those documents."""
    from dataclasses import replace

    from .calibration import expected_calibration_error, fit_operating_point, record_operating_point, span_outcomes

    path = (Path(model_dir) if model_dir else default_model_dir()).resolve()
    schema = Schema.for_model(path)
    if annotation_paths:
        gold, split = load_documents(annotation_paths, schema=schema), "held-out"
        overlap = trained_on(path, gold)
        if overlap:
            raise ValueError(f"the model was trained on {len(overlap)} of these documents ({', '.join(overlap[:5])}): calibrate on held-out ones")
    elif schema != DEFAULT_SCHEMA:
        raise ValueError(f"the model tags the {schema.name} schema: give held-out documents in it with --annotations")
    else:
        gold = split_documents(load_documents(), split)
    # Fitted on the fp32 torch scores, one calibration for every backend (the int8 gate checks it still holds there).
    extractor = Extractor.load(path, calibrated=False, backend="torch")
    raw = predict_documents(extractor.predict_batch, gold)
    calibration, point = fit_operating_point(gold, raw, f"{split}, {len(gold)} documents", gates="TRIGGER" in schema.label_names)
    calibration = replace(calibration, exact_f1=point.f1)
    calibration.save(path)
    record_operating_point(path, calibration, point)
    scores, outcomes = span_outcomes(gold, raw)  # for the calibration error before and after
    calibrated = np.array([calibration(s) for s in scores])
    gate = measure_gate(path, [d for d in load_documents() if d.source == "seed"], gold)
    record_gate(path, gate)
    return {
        "gate": gate,
        "model": str(path), "split": split, "documents": len(gold), "spans": len(scores),
        "min_score": calibration.min_score, "trigger_gate": calibration.trigger_gate, "exact_f1": point.f1,
        "no_attack_with_spans": point.no_attack_with_spans, "no_attack": point.no_attack,
        "ece_before": expected_calibration_error(scores, outcomes),
        "ece_after": expected_calibration_error(calibrated, outcomes),
    }


def crossval_and_report(
    config: TrainingConfig, annotation_paths: Sequence[str] | None, command: str, progress: bool = True, int8: bool = False
) -> tuple[dict, Path]:
    """``eventslots crossval``: the folds, and their report in ``crossval_dir``. ``int8`` also reads each fold
    with its model's int8 graph (the backend gate's cross-validation measure)."""
    documents = select_sources(load_documents(annotation_paths, schema=load_schema(config.schema)), config)
    report = crossval(documents, config, progress=progress, int8=int8)
    out_dir = crossval_dir(config, documents)
    write_report(report, out_dir, "Leave-one-document-out cross-validation", command)
    return report, out_dir


def evaluate_incidents(model_dir: str | Path | None, split: str = "real-dev", backend: str | None = None) -> dict:
    """Template scores and value accuracy on ``split``, for the learned grouping and the rule baseline,
    on the model's predicted spans and on the gold spans (the grouping and normalisation alone)."""
    from .incident_metrics import incident_records, template_scores

    documents = [d for d in split_documents(load_documents(), split) if all(s.event for s in d.spans)]
    if not documents:
        raise ValueError(f"{split}: no documents with incident ids")
    extractor = Extractor.load(model_dir, backend=backend)
    started = time.perf_counter()
    result: dict = {"split": split, "documents": len(documents), "model": str(Path(model_dir or default_model_dir()).resolve())}
    for spans in ("predicted", "gold"):
        for grouping, records in incident_records(extractor, documents, spans == "gold").items():
            result[f"{grouping}, {spans} spans"] = template_scores(documents, records)
    result["seconds"] = time.perf_counter() - started
    return result
