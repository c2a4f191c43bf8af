"""``eventslots train``, ``evaluate`` and ``crossval``."""

from __future__ import annotations

import logging
import shlex
import sys
import time
from pathlib import Path
from dataclasses import MISSING

from eventslots.model.store import ModelStoreError

from .serving import add_backend_option
from eventslots.training.config import PRESETS, TrainingConfig, config_fields, preset_config
from eventslots.training.corpus import AnnotationError


def add_config_options(parser) -> None:
    """``--preset``, then one option per TrainingConfig field; its help text is the field's documentation.
    An option left out takes the preset's value (None here marks it as left out)."""
    parser.add_argument(
        "--preset", choices=list(PRESETS), default="default",
        help="named settings to start from; options given beside it override them. "
        + "; ".join(f"{name}: {', '.join(f'{k}={v}' for k, v in changes.items()) or 'the defaults below'}" for name, changes in PRESETS.items()),
    )
    for f in config_fields():
        default = f.default if f.default is not MISSING else None
        parser.add_argument(
            f"--{f.name.replace('_', '-')}", dest=f.name, type=type(default), default=None,
            help=f"{f.metadata['help']} (default: {default})",
        )


def config_from(args) -> TrainingConfig:
    given = {f.name: getattr(args, f.name) for f in config_fields() if getattr(args, f.name) is not None}
    return preset_config(args.preset, **given)


def register(commands) -> None:
    trainer = commands.add_parser("train", help="fine-tune the tagger on the annotation files")
    add_config_options(trainer)
    trainer.add_argument("--output", help="model directory to write (default: $EVENTSLOTS_MODEL or models/default)")
    trainer.add_argument("--annotations", nargs="*", help="annotation files or folders (default: annotations/)")
    trainer.add_argument("--max-steps", type=int, help="stop after this many optimisation steps (smoke runs)")
    trainer.set_defaults(run=run_train)

    evaluator = commands.add_parser("evaluate", help="score a model on annotation files")
    evaluator.add_argument("annotations", nargs="*", help="annotation files or folders (default: annotations/)")
    evaluator.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    evaluator.add_argument("--report-dir", help="where report.json/.md/.png go (default: reports/evaluate, or reports/SPLIT)")
    evaluator.add_argument(
        "--split", choices=("real-dev", "real-test"),
        help="score on a real-article split instead of files: real-dev to choose settings, real-test once per release",
    )
    evaluator.add_argument("--peers", action="store_true", help="with --split: also train and score the spaCy and memorising peers")
    add_backend_option(evaluator)
    evaluator.set_defaults(run=run_evaluate)

    calibrator = commands.add_parser(
        "calibrate", help="fit span-score calibration on real-dev and store it in the model directory"
    )
    calibrator.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    calibrator.add_argument(
        "--annotations", nargs="*",
        help="held-out annotation files to fit on instead of real-dev (needed for a model of another schema; never its training files)",
    )
    calibrator.set_defaults(run=run_calibrate)

    cross = commands.add_parser("crossval", help="leave-one-document-out cross-validation over the real articles")
    add_config_options(cross)
    cross.add_argument("--annotations", nargs="*", help="annotation files or folders (default: annotations/)")
    cross.set_defaults(run=run_crossval)

    auxiliary = commands.add_parser("auxiliary", help="build partially labelled auxiliary training data")
    builders = auxiliary.add_subparsers(dest="builder", required=True)
    wiki = builders.add_parser("wikievents", help="from WikiEvents JSON Lines files (dev/test or the derived train file)")
    wiki.add_argument("paths", nargs="+", help="WikiEvents .jsonl files")
    wiki.add_argument("--output", required=True, help="auxiliary .jsonl to write (never overwritten); pass it to --auxiliary")
    wiki.set_defaults(run=run_wikievents)
    pseudo = builders.add_parser(
        "self-train", help="label unlabelled MUC-4 news with a trained model (sure spans as labels, unsure ones left unlabelled)"
    )
    pseudo.add_argument("--model", help="model directory that labels (default: $EVENTSLOTS_MODEL or models/default)")
    pseudo.add_argument("--output", required=True, help="auxiliary .jsonl to write (never overwritten); pass it to --auxiliary")
    pseudo.add_argument("--limit", type=int, default=300, help="MUC-4 messages to label, in file order (default: 300)")
    pseudo.add_argument("--keep", type=float, default=0.7, help="a span scoring at least this is a label (default: 0.7)")
    pseudo.add_argument("--floor", type=float, default=0.05, help="a span scoring from this up to --keep teaches nothing (default: 0.05)")
    pseudo.set_defaults(run=run_self_train)


def show_progress_log() -> None:
    """Long library steps after the optimiser's (reading the training documents to learn the incident
    grouping: 2 minutes for MiniLM, 13 for mpnet) report through logging: show it."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


def _command_line() -> str:
    return "eventslots " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def run_train(args) -> int:
    from eventslots.training.jobs import train_and_save

    show_progress_log()
    started = time.perf_counter()
    try:
        metadata = train_and_save(config_from(args), args.output, args.annotations, max_steps=args.max_steps)
    except (AnnotationError, ValueError, FileNotFoundError, ModelStoreError) as error:
        print(f"eventslots train: {error}", file=sys.stderr)
        return 1
    fit = metadata["metrics"]["training_fit"]
    print(f"model written to {metadata['output']}")
    if fit:
        print(f"seqeval micro F1 on the real articles trained on: {fit['seqeval_micro_f1']:.3f} (fit, not held-out)")
    print(f"total time {time.perf_counter() - started:.0f} s (training {metadata['training_seconds']:.0f} s)")
    return 0


def run_evaluate(args) -> int:
    from eventslots.model.inference import ModelNotFoundError
    from eventslots.training.jobs import evaluate_model

    if args.split:
        return run_evaluate_split(args)
    args.report_dir = args.report_dir or "reports/evaluate"
    try:
        result = evaluate_model(args.model, args.annotations or None, args.report_dir, _command_line(), args.backend)
    except (AnnotationError, ModelNotFoundError, ValueError) as error:
        print(f"eventslots evaluate: {error}", file=sys.stderr)
        return 1
    from eventslots.training.report import per_label_table, summary_table

    print(summary_table(result))
    print()
    print(per_label_table(result))
    print(f"\nreport in {args.report_dir}/report.md")
    if result["trained_on"]:
        print(f"warning: the model was trained on {len(result['trained_on'])} of these {result['scored']} document(s), "
              "so these scores measure fit, not accuracy; for an estimate use `eventslots crossval` "
              "or `eventslots evaluate --split real-dev`", file=sys.stderr)
    return 0


def run_evaluate_split(args) -> int:
    from eventslots.model.inference import ModelNotFoundError
    from eventslots.training.jobs import evaluate_on_split
    from eventslots.training.report import split_tables

    if args.annotations:
        print("eventslots evaluate: give either annotation files or --split, not both", file=sys.stderr)
        return 2
    report_dir = args.report_dir or f"reports/{args.split}"
    try:
        result = evaluate_on_split(args.model, args.split, report_dir, _command_line(), peers=args.peers, backend=args.backend)
    except (AnnotationError, ModelNotFoundError, ValueError) as error:
        print(f"eventslots evaluate: {error}", file=sys.stderr)
        return 1
    except ImportError as error:
        print(f"eventslots evaluate: the peers need spaCy: pip install -e '.[baselines]' ({error})", file=sys.stderr)
        return 1
    print(split_tables(result))
    print(f"\nreport in {report_dir}/report.md")
    return 0


def run_calibrate(args) -> int:
    from eventslots.model.inference import ModelNotFoundError
    from eventslots.training.jobs import calibrate_model

    try:
        result = calibrate_model(args.model, annotation_paths=args.annotations)
    except (AnnotationError, ModelNotFoundError, ValueError) as error:
        print(f"eventslots calibrate: {error}", file=sys.stderr)
        return 1
    print(
        f"calibrated {result['model']} on {result['documents']} {result['split']} documents ({result['spans']} spans): "
        f"expected calibration error {result['ece_before']:.3f} -> {result['ece_after']:.3f} (on the fitting data; "
        "real-test gives the honest figure)"
    )
    print(
        f"default threshold {result['min_score']:.2f}, trigger gate {result['trigger_gate']:.2f} "
        f"(strict span F1 {result['exact_f1']:.3f} on {result['split']} with them, spans on {result['no_attack_with_spans']} of its "
        f"{result['no_attack']} no-attack documents; predict(min_score=0) shows every span)"
    )
    gate = result["gate"]
    print(
        f"int8 backend gate {'passed' if gate['passed'] else 'FAILED'}: agreement with fp32 torch {gate['agreement_seeds']:.3f} on the seeds, "
        f"{gate['agreement_real-dev']:.3f} on real-dev; real-dev F1 {gate['f1_int8']:.3f} against {gate['f1_torch']:.3f}; "
        f"calibration error {gate['ece_int8']:.3f}. Default backend: {gate['backend'] if gate['passed'] else 'onnx (fp32)'}"
    )
    return 0


def run_wikievents(args) -> int:
    from eventslots.training.corpus.auxiliary import load_auxiliary
    from eventslots.training.corpus.wikievents import build_wikievents

    try:
        count = build_wikievents(args.paths, args.output)
        spans = sum(len(p.document.spans) for p in load_auxiliary(args.output))
    except (FileExistsError, FileNotFoundError, AnnotationError) as error:
        print(f"eventslots auxiliary: {error}", file=sys.stderr)
        return 1
    print(f"wrote {count} auxiliary document(s), {spans} span(s) to {args.output}; train with --auxiliary {args.output}")
    return 0


def run_self_train(args) -> int:
    from eventslots.model.inference import Extractor, ModelNotFoundError
    from eventslots.model.paths import shared_data_dir
    from eventslots.training.corpus import load_documents
    from eventslots.training.selftrain import pseudo_label, unlabelled_muc4, write_auxiliary

    try:
        data_dir = shared_data_dir()
        if data_dir is None:
            raise FileNotFoundError("no copy of the public corpora found; set EVENTSLOTS_DATA to a folder holding muc4/")
        if Path(args.output).exists():
            raise FileExistsError(f"{args.output} exists; auxiliary files are never overwritten")
        texts = unlabelled_muc4(data_dir, load_documents(), limit=args.limit)
        extractor = Extractor.load(args.model)
        records = pseudo_label(extractor, texts, keep=args.keep, floor=args.floor,
                               progress=lambda done, total: print(f"labelled {done}/{total}", file=sys.stderr, flush=True))
        write_auxiliary(records, args.output)
    except (FileExistsError, FileNotFoundError, ModelNotFoundError, AnnotationError, ValueError) as error:
        print(f"eventslots auxiliary: {error}", file=sys.stderr)
        return 1
    spans = sum(len(r["spans"]) for r in records)
    unsure = sum(len(r["unsure"]) for r in records)
    print(f"wrote {len(records)} pseudo-labelled document(s), {spans} sure span(s), {unsure} unsure region(s) to {args.output}; "
          f"train with --auxiliary {args.output}")
    return 0


def run_crossval(args) -> int:
    from eventslots.training.jobs import crossval_and_report
    from eventslots.training.report import folds_table, per_label_table

    show_progress_log()
    try:
        report, out_dir = crossval_and_report(config_from(args), args.annotations, _command_line())
    except (AnnotationError, ValueError, FileNotFoundError) as error:
        print(f"eventslots crossval: {error}", file=sys.stderr)
        return 1
    print(folds_table(report))
    print()
    print(per_label_table(report["pooled"]))
    if report.get("incidents"):
        from eventslots.training.report import incidents_table

        documents = next(iter(report["incidents"].values()))["documents"]
        print()
        print(incidents_table({"split": "incident records of the held-out articles", "documents": documents, **report["incidents"]}))
    print(f"\nreport in {out_dir}/report.md ({report['seconds']:.0f} s)")
    return 0
