"""The ``eventslots`` command: parses arguments and calls library functions."""

from __future__ import annotations

import argparse
import signal
import sys

from eventslots import __version__

from . import annotations, serving, training


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eventslots", description="Tag attack-event slots in news text.")
    parser.add_argument("--version", action="version", version=f"eventslots {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    annotations.register(commands)
    training.register(commands)
    serving.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `eventslots ... | head` ends quietly
    args = build_parser().parse_args(argv)
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
