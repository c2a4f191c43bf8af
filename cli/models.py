"""``eventslots models``: the runs kept for a model, and going back to the previous one."""

from __future__ import annotations

import sys
from pathlib import Path


def register(commands) -> None:
    models = commands.add_parser("models", help="list a model's runs, or roll back to the previous one")
    actions = models.add_subparsers(dest="action", required=True)
    for name, help_text, run in (
        ("list", "each kept run: date, data hash, scores, and which one is published", run_list),
        ("rollback", "publish the run before the current one (atomically)", run_rollback),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--model", help="model location (default: $EVENTSLOTS_MODEL or models/default)")
        action.set_defaults(run=run)


def _target(args) -> Path:
    from eventslots.model.paths import default_model_dir

    return Path(args.model) if args.model else default_model_dir()


def run_list(args) -> int:
    from eventslots.model.store import ModelStoreError, list_runs

    target = _target(args)
    try:
        runs = list_runs(target)
    except ModelStoreError as error:
        print(f"eventslots models: {error}", file=sys.stderr)
        return 1
    if not runs:
        print(f"no runs of {target} (train one with `eventslots train`)")
        return 0
    for run in runs:
        scores = ", ".join(f"{k} {v:.3f}" for k, v in run.scores.items() if v is not None) or "no scores"
        print(f"{'*' if run.current else ' '} {run.path.name}  {run.created}  data {run.data_hash}  {scores}")
    print("(* published)")
    return 0


def run_rollback(args) -> int:
    from eventslots.model.store import ModelStoreError, rollback

    target = _target(args)
    try:
        run = rollback(target)
    except ModelStoreError as error:
        print(f"eventslots models: {error}", file=sys.stderr)
        return 1
    print(f"{target} now serves {run.name}")
    return 0
