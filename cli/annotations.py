"""``eventslots annotations validate|import|export``."""

from __future__ import annotations

import sys
from pathlib import Path

from training.corpus import AnnotationError, annotation_files
from training.formats import FORMATS, export_annotations, import_annotations
from training.validation import validate_files


def register(commands) -> None:
    parser = commands.add_parser("annotations", help="validate, import and export annotation files")
    sub = parser.add_subparsers(dest="action", required=True)

    validate = sub.add_parser("validate", help="check annotation files against the format and the span rules")
    validate.add_argument("paths", nargs="*", help="files or folders (default: annotations/)")
    validate.set_defaults(run=run_validate)

    importer = sub.add_parser("import", help="convert a file from another tool into a new annotation file")
    importer.add_argument("input", help="the file to import")
    importer.add_argument("--format", required=True, choices=sorted(FORMATS))
    importer.add_argument("--output", required=True, help="the new .jsonl file to write (never overwritten)")
    importer.add_argument("--source", choices=("seed", "authored", "user"), help="set every document's source")
    importer.set_defaults(run=run_import)

    exporter = sub.add_parser("export", help="write annotation files in another tool's format")
    exporter.add_argument("paths", nargs="*", help="files or folders (default: annotations/)")
    exporter.add_argument("--format", required=True, choices=sorted(FORMATS))
    exporter.add_argument("--output", help="file to write (default: standard output); never overwritten")
    exporter.set_defaults(run=run_export)


def run_validate(args) -> int:
    files = annotation_files(args.paths)
    problems = validate_files(files)
    for problem in problems:
        print(problem)
    print(f"{len(files)} file(s), {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def run_import(args) -> int:
    try:
        documents = import_annotations(args.input, args.format, args.output, source=args.source)
    except (AnnotationError, FileExistsError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {len(documents)} document(s), {sum(len(d.spans) for d in documents)} span(s) to {args.output}")
    return 0


def run_export(args) -> int:
    try:
        content = export_annotations(args.format, args.paths or None)
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
