"""``eventslots labelstudio serve|config``: the Label Studio ML backend and its labelling config."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from .serving import add_backend_option

TOKEN_ENV = "EVENTSLOTS_LABELSTUDIO_TOKEN"


def register(commands) -> None:
    parser = commands.add_parser("labelstudio", help="connect eventslots to Label Studio as its ML backend")
    sub = parser.add_subparsers(dest="action", required=True)

    server = sub.add_parser("serve", help="serve pre-annotations to Label Studio and save its annotations")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    server.add_argument("--port", type=int, default=9090, help="port (default: 9090, Label Studio's usual ML backend port)")
    server.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    add_backend_option(server)
    server.add_argument("--token", help=f"require this token (default: ${TOKEN_ENV}); needed on any address but loopback")
    server.add_argument("--retrain", action="store_true",
                        help="retrain the model in the background when annotations arrive (published atomically)")
    server.add_argument("--retrain-delay", type=float, default=300.0,
                        help="seconds without a new annotation before retraining starts (default: 300)")
    server.add_argument("--retrain-args", default="",
                        help="extra `eventslots train` options for retraining, as one string (e.g. \"--epochs 2\")")
    server.add_argument("--no-calibrate", action="store_true", help="do not recalibrate after retraining")
    server.set_defaults(run=run_serve)

    config = sub.add_parser("config", help="print the labelling config for a Label Studio project, derived from the schema")
    source = config.add_mutually_exclusive_group()
    source.add_argument("--model", help="the schema of this model directory (default: $EVENTSLOTS_MODEL or models/default, "
                        "else the default schema)")
    source.add_argument("--schema", help="the schema in this schema file")
    config.set_defaults(run=run_config)


def run_config(args) -> int:
    from eventslots.model.schema import SchemaError
    from eventslots.training.corpus.formats.labelstudio import labelstudio_config

    from .schema import schema_of

    try:
        schema = schema_of(args.schema, args.model)
    except SchemaError as error:
        print(f"eventslots labelstudio config: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(labelstudio_config(schema))
    return 0


def run_serve(args) -> int:
    import shlex

    from eventslots.model.paths import default_model_dir, reports_dir, workspace, workspace_annotations_dir
    from eventslots.serve.labelstudio import build_backend, serve_backend
    from eventslots.training.retrain import Retrainer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = args.token or os.environ.get(TOKEN_ENV) or None
    model_dir = Path(args.model) if args.model else default_model_dir()
    annotations = workspace_annotations_dir()  # annotations/user/ of $EVENTSLOTS_HOME or here, where training reads
    if not (model_dir / "config.json").exists():
        print(f"no trained model at {model_dir}: run `eventslots train` first, or give --model", file=sys.stderr)
        return 1
    retrainer = None
    from eventslots.model.schema import DEFAULT_SCHEMA, Schema

    schema = Schema.for_model(model_dir)
    if args.retrain and schema != DEFAULT_SCHEMA and ("--schema" not in args.retrain_args or not args.no_calibrate):
        print(f"the model tags the {schema.name} schema: retraining needs its schema and documents, as in "
              f"--retrain-args \"--schema FILE --annotations annotations-{schema.name} ...\" (where the backend saves "
              "its annotations), and --no-calibrate (calibrate with `eventslots calibrate --annotations HELD-OUT`)", file=sys.stderr)
        return 1
    if args.retrain:
        reports = reports_dir()
        reports.mkdir(parents=True, exist_ok=True)
        retrainer = Retrainer(model_dir.absolute(), workspace().absolute(), args.retrain_delay, shlex.split(args.retrain_args), not args.no_calibrate, reports / "labelstudio-retrain.log")
    app = build_backend(model_dir, annotations, token, retrainer, args.backend)
    try:
        serve_backend(app, args.host, args.port, token)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    return 0
