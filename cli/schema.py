"""``eventslots schema show``: a schema file or a model's schema, checked and shown as the docs' label table."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("schema", help="check and show a slot schema (the labels a model tags)")
    sub = parser.add_subparsers(dest="action", required=True)
    show = sub.add_parser("show", help="check a schema file and print its label table (Markdown) or JSON")
    source = show.add_mutually_exclusive_group()
    source.add_argument("file", nargs="?", help="a schema file (default: the model's schema)")
    source.add_argument("--model", help="the schema of this model directory (default: $EVENTSLOTS_MODEL or models/default)")
    show.add_argument("--json", action="store_true", help="print the schema as JSON instead, colours filled in")
    show.set_defaults(run=run_show)


def schema_of(file: str | None, model: str | None):
    """The schema in ``file``, else that of the ``model`` directory (default: $EVENTSLOTS_MODEL or
    models/default; the default schema where it has none). SchemaError names a bad file."""
    from eventslots.model.paths import default_model_dir
    from eventslots.model.schema import Schema

    return Schema.load(file) if file else Schema.for_model(Path(model) if model else default_model_dir())


def run_show(args) -> int:
    from eventslots.model.schema import SchemaError

    try:
        schema = schema_of(args.file, args.model)
    except SchemaError as error:
        print(f"eventslots schema: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(schema.to_json(), indent=2, ensure_ascii=False))
    else:
        print(f"{schema.name}: {schema.description}\n\n{schema.markdown_table()}")
    return 0
