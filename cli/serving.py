"""``eventslots predict`` and ``eventslots serve``."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(commands) -> None:
    predictor = commands.add_parser("predict", help="tag files (or standard input); one JSON object per document")
    predictor.add_argument("files", nargs="*", help="text files (default: read standard input)")
    predictor.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    predictor.set_defaults(run=run_predict)

    server = commands.add_parser("serve", help="start the web app (trains the default model first if there is none)")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    server.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    server.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    server.add_argument("--no-train", action="store_true", help="do not train a missing model; the app says how to")
    server.set_defaults(run=run_serve)


def run_predict(args) -> int:
    from eventslots.model.inference import Extractor, ModelNotFoundError

    try:
        extractor = Extractor.load(args.model)
    except ModelNotFoundError as error:
        print(f"eventslots predict: {error}", file=sys.stderr)
        return 1
    sources = [(name, Path(name).read_text(encoding="utf-8")) for name in args.files] or [("-", sys.stdin.read())]
    for (name, _), spans in zip(sources, extractor.predict_batch([text for _, text in sources])):
        print(json.dumps({"file": name, "spans": [s.to_dict() for s in spans]}, ensure_ascii=False))
    return 0


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def port_in_use(host: str, port: int) -> bool:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def run_serve(args) -> int:
    from eventslots.model.paths import default_model_dir

    if args.host not in LOOPBACK:
        print(f"eventslots serve: warning: listening on {args.host}, not only this machine; "
              "the app has no authentication, so anyone who can reach the port can use it and save annotations",
              file=sys.stderr, flush=True)
    # Checked before a possible 10-minute training, and said in one line rather than a traceback.
    if port_in_use(args.host, args.port):
        print(f"eventslots serve: port {args.port} on {args.host} is in use; choose another with --port", file=sys.stderr)
        return 1
    from eventslots.serve.app import serve

    model_dir = Path(args.model) if args.model else default_model_dir()
    if not (model_dir / "config.json").exists() and not args.no_train:
        from eventslots.training.config import TrainingConfig
        from eventslots.training.jobs import train_and_save

        print(f"No model at {model_dir}: training the default model first (a few minutes on a laptop CPU).", flush=True)
        metadata = train_and_save(TrainingConfig(), model_dir)
        print(f"Model written to {metadata['output']} in {metadata['training_seconds']:.0f} s.", flush=True)
    print(f"eventslots app on http://{args.host}:{args.port}", flush=True)
    serve(args.host, args.port, model_dir)
    return 0
