"""``eventslots incidents``, ``eventslots train-incidents`` and ``eventslots evaluate-incidents``."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from .serving import add_backend_option, in_batches, read_input
from .training import show_progress_log

FORMATS = ("jsonl", "csv")


def register(commands) -> None:
    extractor = commands.add_parser(
        "incidents", help="incident records of text files (one row per attack: date, counts, slots), or a timeline with --merge"
    )
    extractor.add_argument("files", nargs="*", help="text files (default: standard input, or the .txt files of --merge DIR)")
    extractor.add_argument("--published", help="publication date (ISO, e.g. 2020-01-03) that resolves 'Thursday' or 'yesterday'")
    extractor.add_argument("--format", default="jsonl", choices=FORMATS, help="jsonl: one record per line, with spans (default); csv: one row per record")
    extractor.add_argument("--merge", metavar="DIR", help="read every .txt file in DIR and merge the records of one incident reported by several articles into one timeline row")
    extractor.add_argument("--grouping", default="learned", choices=("learned", "rules"), help="how spans are grouped: the learned scorer (default) or the rule baseline")
    extractor.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    add_backend_option(extractor)
    extractor.set_defaults(run=run_incidents)

    trainer = commands.add_parser("train-incidents", help="learn the incident grouping from the gold incidents and store it in the model directory")
    trainer.add_argument("annotations", nargs="*", help="annotation files or folders (default: the corpus)")
    trainer.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    trainer.set_defaults(run=run_train_incidents)

    evaluator = commands.add_parser("evaluate-incidents", help="template F1 and value accuracy of the incident records on a held-out split, beside the rule baseline")
    evaluator.add_argument("--split", default="real-dev", help="real-dev (default) or real-test, which is for the release figure only")
    evaluator.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    evaluator.add_argument("--json", action="store_true", help="print the scores as JSON")
    add_backend_option(evaluator)
    evaluator.set_defaults(run=run_evaluate_incidents)


def _sources(args) -> list[tuple[str, str]]:
    if args.merge:
        folder = Path(args.merge)
        if not folder.is_dir():
            raise ValueError(f"{args.merge}: not a directory")
        names = [str(p) for p in sorted(folder.glob("*.txt"))] + list(args.files)
        if not names:
            raise ValueError(f"{args.merge}: holds no .txt files")
        return [(name, read_input(name)) for name in names]
    return [(name, read_input(name)) for name in args.files] or [("-", sys.stdin.read())]


def _csv(rows: list[dict], fields: tuple[str, ...]) -> str:
    """The rows as CSV under a header of ``fields``, the header also when there is no row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run_incidents(args) -> int:
    from eventslots.model.incidents import ROW_FIELDS, analyse_batch, check_incident_schema
    from eventslots.model.inference import Extractor, ModelNotFoundError
    from eventslots.model.normalise import as_date
    from eventslots.model.store import ModelStoreError
    from eventslots.model.timeline import TIMELINE_FIELDS, merge_records

    try:
        as_date(args.published)
        sources = _sources(args)
        extractor = Extractor.load(args.model, backend=args.backend)
        check_incident_schema(extractor.schema)
    except (ValueError, ModelNotFoundError, ModelStoreError) as error:
        print(f"eventslots incidents: {error}", file=sys.stderr)
        return 1
    articles = []
    for chunk in in_batches(sources, "incidents"):
        for (name, _), (_, records) in zip(chunk, analyse_batch([t for _, t in chunk], args.published, extractor, args.grouping)):
            articles.append((name, records))
    if args.merge:
        rows = merge_records(articles)
        if args.format == "csv":
            sys.stdout.write(_csv([row.to_row() for row in rows], TIMELINE_FIELDS))
        else:
            for row in rows:
                print(json.dumps(row.to_dict(), ensure_ascii=False))
        return 0
    if args.format == "csv":
        table = [{"file": name, **record.to_row()} for name, records in articles for record in records]
        sys.stdout.write(_csv(table, ("file",) + ROW_FIELDS))
    else:
        for name, records in articles:
            print(json.dumps({"file": name, "incidents": [r.to_dict() for r in records]}, ensure_ascii=False))
    return 0


def run_train_incidents(args) -> int:
    from eventslots.model.inference import ModelNotFoundError
    from eventslots.model.store import ModelStoreError
    from eventslots.training.corpus import AnnotationError
    from eventslots.training.grouping import train_grouping

    show_progress_log()
    try:
        result = train_grouping(args.model, args.annotations or None)
    except (ValueError, AnnotationError, ModelNotFoundError, ModelStoreError) as error:
        print(f"eventslots train-incidents: {error}", file=sys.stderr)
        return 1
    print(f"incident grouping of {result['model']} learned from {result['fitted_on']} "
          f"({result['positive']:.0%} of pairs share an incident) in {result['seconds']:.0f} s")
    return 0


def run_evaluate_incidents(args) -> int:
    from eventslots.model.inference import ModelNotFoundError
    from eventslots.model.store import ModelStoreError
    from eventslots.training.jobs import evaluate_incidents
    from eventslots.training.report import incidents_table

    try:
        result = evaluate_incidents(args.model, args.split, args.backend)
    except (ValueError, ModelNotFoundError, ModelStoreError) as error:
        print(f"eventslots evaluate-incidents: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=1) if args.json else incidents_table(result))
    return 0
