"""The documentation is derived from the code where it restates it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from eventslots.model.schema import DEFAULT_SCHEMA

REPO_ROOT = Path(__file__).resolve().parent.parent

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_label_table_is_the_schema():
    assert DEFAULT_SCHEMA.markdown_table() in README


def test_ci_runs_the_readme_test_command():
    script = (
        "source <(sed -n '/^readme_command()/,/^}/p' .ci/run); "
        "readme_command test-command; readme_command main-command"
    )
    out = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    test_command, main_command = out.splitlines()
    assert "pytest" in test_command and "pip install -e '.[test,scale]'" in test_command  # Ray's test runs in CI
    assert main_command.endswith("eventslots serve") and "pip install -e ." in main_command
