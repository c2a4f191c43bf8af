"""``eventslots predict`` and ``eventslots serve``."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path


def add_backend_option(parser) -> None:
    from eventslots.model.backends import BACKEND_ENV, BACKENDS, FALLBACK_BACKEND, GATED_BACKEND

    parser.add_argument("--backend", choices=BACKENDS,
                        help=f"what runs the encoder (default: ${BACKEND_ENV}, else {GATED_BACKEND} where the model passed its gate, "
                             f"else {FALLBACK_BACKEND}); the onnx ones do not load torch"),


def register(commands) -> None:
    from eventslots.batch.engines import ENGINES, CorpusRun, config_help

    predictor = commands.add_parser(
        "predict", help="tag files (or standard input), one JSON object per document; or a whole corpus with --input and --output"
    )
    predictor.add_argument("files", nargs="*", help="text files (default: read standard input)")
    predictor.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    add_backend_option(predictor)
    corpus = predictor.add_argument_group("corpus mode", "tag a corpus into one output file, in parts, resuming a stopped run")
    corpus.add_argument("--input", help="JSON Lines or Parquet (fields id, text and optionally published), or a folder of .txt files")
    corpus.add_argument("--output", help="a .jsonl or .parquet file: one row per document (id, spans, incidents)")
    corpus.add_argument("--engine", default="local", choices=ENGINES, help="local: this process (default); ray: Ray Data over an actor pool")
    corpus.add_argument("--no-incidents", action="store_true", help="spans only, no incident records (a little faster)")
    corpus.add_argument("--part-size", type=int, default=CorpusRun.part_size, help=config_help("part_size"))
    corpus.add_argument("--workers", type=int, help=config_help("workers"))
    corpus.add_argument("--address", help=config_help("address"))
    corpus.add_argument("--ship-model", action="store_true", help=config_help("ship_model"))
    corpus.add_argument("--restart", action="store_true", help="discard a stopped run's parts and start over")
    predictor.set_defaults(run=run_predict)

    server = commands.add_parser("serve", help="start the web app (trains the default model first if there is none)")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    server.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    server.add_argument(
        "--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default); a directory named here is only read, never trained into"
    )
    server.add_argument("--no-train", action="store_true", help="do not train a missing default model; the app says how to")
    add_backend_option(server)
    server.set_defaults(run=run_serve)


def read_input(name: str) -> str:
    """A file's text, or a ValueError naming the file and what is wrong with it."""
    path = Path(name)
    if not path.exists():
        raise ValueError(f"{name}: no such file")
    if path.is_dir():
        raise ValueError(f"{name}: is a directory; give the text files in it")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{name}: not UTF-8 text (byte {error.start} is 0x{error.object[error.start]:02x}); convert it, e.g. with iconv") from None
    except OSError as error:
        raise ValueError(f"{name}: cannot be read ({error.strerror})") from None


def in_batches(sources: list, command: str, batch: int = 16):
    """Successive chunks of ``sources``, with a bar on a terminal; off one, a line at least every 30 s,
    so a log shows where a long run is. The caller handles each chunk before the count moves on."""
    from tqdm.auto import tqdm

    started = last_line = time.monotonic()
    bar = tqdm(total=len(sources), desc=command, unit="doc", disable=None if len(sources) > batch else True)
    for first in range(0, len(sources), batch):
        chunk = sources[first : first + batch]
        yield chunk
        done = first + len(chunk)
        bar.update(len(chunk))
        if bar.disable and len(sources) > batch and (time.monotonic() - last_line >= 30 or done == len(sources)):
            last_line = time.monotonic()
            elapsed = last_line - started
            print(f"{command}: {done}/{len(sources)} documents, {elapsed:.0f} s, about {elapsed / done * (len(sources) - done):.0f} s left",
                  file=sys.stderr, flush=True)
    bar.close()


def run_predict(args) -> int:
    from eventslots.model.inference import Extractor, ModelNotFoundError
    from eventslots.model.store import ModelStoreError

    if args.input or args.output:
        return run_corpus(args)
    try:
        # Every file is checked before the model loads: a typo costs a second, not a model load.
        sources = [(name, read_input(name)) for name in args.files] or [("-", sys.stdin.read())]
        extractor = Extractor.load(args.model, backend=args.backend)
    except (ValueError, ModelNotFoundError, ModelStoreError) as error:
        print(f"eventslots predict: {error}", file=sys.stderr)
        return 1
    for chunk in in_batches(sources, "predict"):
        for (name, _), spans in zip(chunk, extractor.predict_batch([text for _, text in chunk])):
            print(json.dumps({"file": name, "spans": [s.to_dict() for s in spans]}, ensure_ascii=False), flush=True)
    return 0


def run_corpus(args) -> int:
    from eventslots.batch.engines import CorpusRun, Progress, run_corpus as tag_corpus
    from eventslots.model.backends import check_backend, default_backend
    from eventslots.model.inference import ModelNotFoundError, require_model
    from eventslots.model.paths import default_model_dir
    from eventslots.model.store import ModelStoreError

    if args.files or not (args.input and args.output):
        print("eventslots predict: corpus mode takes --input and --output, and no file names", file=sys.stderr)
        return 2
    progress = Progress()
    try:
        model = Path(args.model) if args.model else default_model_dir()
        require_model(model)
        run = CorpusRun(
            Path(args.input), Path(args.output), model, check_backend(args.backend) if args.backend else default_backend(model), args.engine,
            incidents=not args.no_incidents, part_size=args.part_size, workers=args.workers, address=args.address, ship_model=args.ship_model,
            restart=args.restart,
        )
        summary = tag_corpus(run, progress)
    except (ValueError, ModelNotFoundError, ModelStoreError) as error:
        print(f"eventslots predict: {error}", file=sys.stderr)
        return 1
    finally:
        progress.close()
    resumed = f", {summary['resumed_parts']} part(s) resumed from a stopped run" if summary["resumed_parts"] else ""
    print(f"wrote {summary['rows']} rows to {summary['output']} in {summary['seconds']:.0f} s{resumed}", file=sys.stderr)
    if summary["rejected"]:
        print(f"skipped {summary['rejected']} bad document(s): see {summary['errors']}", file=sys.stderr)
    return 0


LOOPBACK = ("127.0.0.1", "localhost", "::1")


class PipeSafe(io.TextIOBase):
    """An output stream that outlives its reader: once the pipe or terminal behind it is gone
    (``serve | head -1``, a log collector restarting), writes are dropped instead of raising."""

    def __init__(self, stream):
        self.stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.gone = True

    def isatty(self) -> bool:
        return not self.gone and self.stream.isatty()

    @property
    def encoding(self):
        return getattr(self.stream, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.stream.fileno()


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

    # Before any logging is configured, so uvicorn's and Gradio's handlers write through them too.
    sys.stdout, sys.stderr = PipeSafe(sys.stdout), PipeSafe(sys.stderr)

    if args.host not in LOOPBACK:
        print(f"eventslots serve: warning: listening on {args.host}, not only this machine; "
              "the app has no authentication, so anyone who can reach the port can use it and save annotations",
              file=sys.stderr, flush=True)
    # Checked before a possible 10-minute training, and said in one line rather than a traceback.
    if port_in_use(args.host, args.port):
        print(f"eventslots serve: port {args.port} on {args.host} is in use; choose another with --port", file=sys.stderr)
        return 1
    model_dir = Path(args.model) if args.model else default_model_dir()
    if args.model and not (model_dir / "config.json").exists():
        # A folder the user named is theirs: say what is missing rather than train into it.
        print(f"eventslots serve: no model in {model_dir} (no config.json); train one with "
              f"`eventslots train --output {model_dir}` or leave out --model", file=sys.stderr)
        return 1
    from eventslots.serve.app import serve

    if not (model_dir / "config.json").exists() and not args.no_train:
        from eventslots.training.config import TrainingConfig
        from eventslots.training.jobs import train_and_save

        print(f"No model at {model_dir}: training the default model first (a few minutes on a laptop CPU).", flush=True)
        metadata = train_and_save(TrainingConfig(), model_dir)
        print(f"Model written to {metadata['output']} in {metadata['training_seconds']:.0f} s.", flush=True)
    print(f"eventslots app on http://{args.host}:{args.port}", flush=True)
    serve(args.host, args.port, model_dir, args.backend)
    return 0
