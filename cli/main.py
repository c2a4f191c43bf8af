"""The ``eventslots`` command: parses arguments and calls library functions."""

from __future__ import annotations

import argparse
import signal
import sys

from eventslots import __version__

from . import annotations, export, incidents, labelstudio, models, schema, serving, training


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eventslots", description="Tag attack-event slots in news text.")
    parser.add_argument("--version", action="version", version=f"eventslots {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    annotations.register(commands)
    training.register(commands)
    serving.register(commands)
    incidents.register(commands)
    models.register(commands)
    export.register(commands)
    labelstudio.register(commands)
    schema.register(commands)
    return parser


# Commands whose output is meant for a pipe or a pager: `eventslots predict ... | head` ends quietly, as cat
# does. (Not the ones that write files beside what they print: they finish whatever reads their output.)
PIPE_COMMANDS = {("predict", None), ("annotations", "export"), ("annotations", "agree"), ("incidents", None)}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(signal, "SIGPIPE") and (args.command, getattr(args, "action", None)) in PIPE_COMMANDS:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
