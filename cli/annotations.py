"""``eventslots annotations validate|import|export``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eventslots.model.schema import DEFAULT_SCHEMA, Schema, SchemaError
from eventslots.training.corpus import SOURCES, AnnotationError, annotation_files
from eventslots.training.corpus.formats import FORMATS, export_annotations, import_annotations
from eventslots.training.corpus.validation import validate_files


def register(commands) -> None:
    parser = commands.add_parser("annotations", help="validate, import and export annotation files")
    sub = parser.add_subparsers(dest="action", required=True)

    validate = sub.add_parser("validate", help="check annotation files against the format and the span rules")
    validate.add_argument("paths", nargs="*", help="files or folders (default: annotations/)")
    add_schema_option(validate)
    validate.set_defaults(run=run_validate)

    importer = sub.add_parser("import", help="convert a file from another tool into a new annotation file")
    importer.add_argument("input", help="the file to import")
    importer.add_argument("--format", required=True, choices=sorted(FORMATS))
    importer.add_argument("--output", required=True, help="the new .jsonl file to write (never overwritten)")
    importer.add_argument("--source", choices=SOURCES, help="set every document's source")
    add_schema_option(importer)
    importer.set_defaults(run=run_import)

    exporter = sub.add_parser("export", help="write annotation files in another tool's format")
    exporter.add_argument("paths", nargs="*", help="files or folders (default: annotations/)")
    exporter.add_argument("--format", required=True, choices=sorted(FORMATS))
    exporter.add_argument("--output", help="file to write (default: standard output); never overwritten")
    add_schema_option(exporter)
    exporter.set_defaults(run=run_export)

    sampler = sub.add_parser("sample", help="draw a random sample, without its spans, for a second annotator")
    sampler.add_argument("paths", nargs="*", help="files or folders (default: annotations/)")
    sampler.add_argument("--fraction", type=float, default=0.1, help="share of documents to draw (default: 0.1)")
    sampler.add_argument("--seed", type=int, default=1, help="random seed of the draw (default: 1)")
    sampler.add_argument("--source", choices=SOURCES, help="draw only documents of this source")
    sampler.add_argument("--output", required=True, help="markup file to write (never overwritten)")
    sampler.set_defaults(run=run_sample)

    stats = sub.add_parser("stats", help="report the make-up of the corpus (styles, regions, attack types, labels)")
    stats.add_argument("paths", nargs="*", help="files or folders (default: annotations/)")
    stats.add_argument("--source", choices=SOURCES, help="only documents of this source")
    stats.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    stats.set_defaults(run=run_stats)

    suggest = sub.add_parser("suggest", help="rank unlabelled documents by how much annotating them should help (active learning)")
    suggest.add_argument("pool", help="JSON Lines or Parquet (fields id and text), or a folder of .txt files")
    suggest.add_argument("-n", type=int, default=10, help="how many documents to suggest (default: 10)")
    suggest.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    suggest.add_argument("--strategy", default="uncertainty", choices=("uncertainty", "random"),
                         help="uncertainty with diversity (default), or random (the baseline)")
    suggest.add_argument("--diversity", type=float, default=0.5,
                         help="weight of unlikeness to documents already picked, 0 for pure uncertainty (default: 0.5)")
    suggest.add_argument("--format", default="labelstudio", choices=("labelstudio", "list"),
                         help="labelstudio: an import file with pre-annotations (default); list: JSON Lines of rank, id, "
                              "uncertainty and text, to paste into the app one by one")
    suggest.add_argument("--output", help="file to write (default: standard output); never overwritten")
    suggest.set_defaults(run=run_suggest)

    agree = sub.add_parser("agree", help="score a second annotation against the first (exact and overlap span F1)")
    agree.add_argument("first", help="the first annotation (file or folder)")
    agree.add_argument("second", help="the second annotation of some of the same documents")
    agree.add_argument("--format", default=None, choices=sorted(FORMATS), help="format of SECOND if not canonical")
    agree.set_defaults(run=run_agree)


def add_schema_option(parser) -> None:
    parser.add_argument("--schema", type=schema_file, default=DEFAULT_SCHEMA,
                        help="schema file the labels must belong to (default: the nine attack slots)")


def schema_file(path: str) -> Schema:
    try:
        return Schema.load(path)
    except SchemaError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run_validate(args) -> int:
    files = annotation_files(args.paths)
    problems = validate_files(files, schema=args.schema)
    for problem in problems:
        print(problem)
    print(f"{len(files)} file(s), {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def run_import(args) -> int:
    try:
        documents = import_annotations(args.input, args.format, args.output, source=args.source, schema=args.schema)
    except (AnnotationError, FileExistsError, FileNotFoundError, ValueError) as error:  # MarkupError is a ValueError
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {len(documents)} document(s), {sum(len(d.spans) for d in documents)} span(s) to {args.output}")
    return 0


def run_sample(args) -> int:
    from eventslots.training.corpus.agreement import blank_markup, draw_sample
    from eventslots.training.corpus import load_documents

    documents = load_documents(args.paths or None, [args.source] if args.source else None)
    sample = draw_sample(documents, args.fraction, args.seed)
    output = Path(args.output)
    if output.exists():
        print(f"{output} already exists; choose another name", file=sys.stderr)
        return 1
    output.write_text(blank_markup(sample), encoding="utf-8")
    print(f"{len(sample)} of {len(documents)} document(s) written to {output}")
    return 0


def run_stats(args) -> int:
    import json

    from eventslots.training.corpus import load_documents
    from eventslots.training.corpus.makeup import corpus_makeup, makeup_markdown

    try:
        documents = load_documents(args.paths or None, [args.source] if args.source else None)
    except AnnotationError as error:
        print(error, file=sys.stderr)
        return 1
    makeup = corpus_makeup(documents)
    print(json.dumps(makeup, indent=2) if args.json else makeup_markdown(makeup))
    return 0


def run_agree(args) -> int:
    from eventslots.training.corpus.agreement import score_agreement
    from eventslots.training.corpus import load_documents
    from eventslots.training.corpus.formats import read_documents
    from eventslots.training.report import per_label_table, summary_table

    try:
        first = load_documents([args.first])
        second = [d for _, d in read_documents(args.second, args.format)] if args.format else load_documents([args.second])
    except AnnotationError as error:
        print(error, file=sys.stderr)
        return 1
    result = score_agreement(first, second)
    print(f"{result['documents']} document(s) annotated twice\n")
    print(summary_table(result))
    print()
    print(per_label_table(result))
    from eventslots.training.incident_metrics import grouping_agreement

    grouping = grouping_agreement(first, second)
    if grouping["spans"]:  # both annotations carry incident ids
        links, cubed = grouping["links"], grouping["b_cubed"]
        print(f"\nincident grouping on the {grouping['spans']} spans both annotated: link F1 {links['f1']:.3f} "
              f"(P {links['precision']:.3f}, R {links['recall']:.3f}); B-cubed F1 {cubed['f1']:.3f} "
              f"(P {cubed['precision']:.3f}, R {cubed['recall']:.3f})")
    for kind in ("missed", "spurious"):
        print(f"\nonly in {'first' if kind == 'missed' else 'second'} ({len(result['errors'][kind])}):")
        for e in result["errors"][kind]:
            print(f"  {e['doc']} {e['label']} {e['text']!r}: ...{e['context']}...")
    return 0


def run_export(args) -> int:
    try:
        content = export_annotations(args.format, args.paths or None, args.schema)
    except AnnotationError as error:
        print(error, file=sys.stderr)
        return 1
    if not args.output:
        sys.stdout.write(content)
        return 0
    output = Path(args.output)
    if output.exists():
        print(f"{output} already exists; choose another name", file=sys.stderr)
        return 1
    output.write_text(content, encoding="utf-8")
    return 0


def run_suggest(args) -> int:
    import json

    from eventslots.batch.engines import Progress
    from eventslots.batch.sources import Rejected, plan_parts, read_part
    from eventslots.model.inference import Extractor, ModelNotFoundError
    from eventslots.model.paths import default_model_dir
    from eventslots.model.store import run_name
    from eventslots.training.active import labelstudio_tasks, suggest

    output = Path(args.output) if args.output else None
    if output is not None and output.exists():
        print(f"{output} already exists; choose another name", file=sys.stderr)
        return 1
    if args.n < 1:
        print("-n must be at least 1", file=sys.stderr)
        return 1
    pool_path = Path(args.pool)
    try:
        documents = [d for part in plan_parts(pool_path, 1000) for d in read_part(pool_path, part)]
        extractor = Extractor.load(args.model)
    except (ValueError, ModelNotFoundError) as error:
        print(error, file=sys.stderr)
        return 1
    for rejected in (d for d in documents if isinstance(d, Rejected)):
        print(f"{args.pool}: {rejected.where}: skipped: {rejected.reason}", file=sys.stderr)
    pool = [(d.id, d.text) for d in documents if not isinstance(d, Rejected)]
    progress = Progress("suggest")
    progress(0, len(pool), 0)
    suggestions = suggest(extractor, pool, args.n, args.strategy, args.diversity,
                          on_batch=lambda done, total: progress(done, total, 0))
    progress.close()
    if args.format == "list":
        content = "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in suggestions)
    else:
        tasks = labelstudio_tasks(suggestions, run_name(Path(args.model) if args.model else default_model_dir()))
        content = json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"
    if output is None:
        sys.stdout.write(content)
    else:
        output.write_text(content, encoding="utf-8")
        print(f"{len(suggestions)} of {len(pool)} document(s) suggested, written to {output}", file=sys.stderr)
    return 0

