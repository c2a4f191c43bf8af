"""``eventslots export onnx``: the ONNX Runtime backends' graphs for a run trained before they existed."""

from __future__ import annotations

import sys
from pathlib import Path


def register(commands) -> None:
    exporter = commands.add_parser("export", help="write a model's forward pass in another format")
    formats = exporter.add_subparsers(dest="format", required=True)
    onnx = formats.add_parser("onnx", help="fp32 and int8 ONNX graphs beside the weights (training writes them already)")
    onnx.add_argument("--model", help="model directory (default: $EVENTSLOTS_MODEL or models/default)")
    onnx.set_defaults(run=run_onnx)


def run_onnx(args) -> int:
    from eventslots.model.export import export_onnx
    from eventslots.model.inference import ModelNotFoundError, load_torch, require_model
    from eventslots.model.paths import default_model_dir
    from eventslots.model.store import ModelStoreError, check_complete

    path = Path(args.model) if args.model else default_model_dir()
    try:
        require_model(path)
        check_complete(path)
        model, _ = load_torch(path)
        written = export_onnx(model, path.resolve())
    except (ModelNotFoundError, ModelStoreError) as error:
        print(f"eventslots export: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"eventslots export: cannot write into {path} ({error.strerror})", file=sys.stderr)
        return 1
    for backend, file in written.items():
        print(f"{backend}: {file} ({file.stat().st_size / 2**20:.0f} MB)")
    return 0
