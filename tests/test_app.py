"""The real Gradio server, called over HTTP with gradio_client."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from gradio_client import Client

from eventslots.model.paths import SEEDS_DIR
from eventslots.serve.app import MAX_CHARS


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def test_extract_endpoint_tags_a_seed_article(client, extractor):
    text = (SEEDS_DIR / "004_30bd4df8f24fa5f0.txt").read_text(encoding="utf-8")
    highlight, table, spans, status = client.predict(text, api_name="/extract")
    assert spans == [s.to_dict() for s in extractor.predict(text)]
    assert spans and status.startswith(f"Extracted. {len(spans)} span(s)")
    assert all(text[s["start"] : s["end"]] == s["text"] for s in spans)
    assert [row[0] for row in table["data"]] == [s["label"] for s in spans]
    marked = [(e["token"], e["class_or_confidence"]) for e in highlight if e["class_or_confidence"]]
    assert marked == [(s["text"], s["label"]) for s in spans]


def test_extract_hides_spans_below_the_threshold(client, extractor):
    text = (SEEDS_DIR / "004_30bd4df8f24fa5f0.txt").read_text(encoding="utf-8")
    every = extractor.predict(text)
    threshold = sorted(s.score for s in every)[len(every) // 2]
    _, _, spans, _ = client.predict(text, threshold, api_name="/extract")
    assert spans == [s.to_dict() for s in every if s.score >= threshold]
    assert 0 < len(spans) < len(every)


@pytest.mark.parametrize(
    "text, message",
    [("", "Paste an article first"), ("  \n\t ", "Paste an article first"), ("x" * (MAX_CHARS + 1), "reads at most 100,000")],
)
def test_bad_input_gets_a_clear_message(client, text, message):
    with pytest.raises(Exception) as error:
        client.predict(text, api_name="/extract")
    assert message in str(error.value)
    assert "Traceback" not in str(error.value)


def test_the_endpoint_is_named(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/extract"]


def serve_on_a_taken_port(host: str, tmp_path) -> tuple[int, subprocess.CompletedProcess]:
    """Run ``eventslots serve`` on a port another socket holds; returns the port and the finished run."""
    with socket.socket() as taken:
        taken.bind((host, 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "eventslots", "serve", "--host", host, "--port", str(port), "--no-train",
             "--model", str(tmp_path / "none")],
            capture_output=True, text=True, timeout=120,
        )
    return port, run


def test_a_port_in_use_is_one_line_not_a_traceback(tmp_path):
    port, run = serve_on_a_taken_port("127.0.0.1", tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip() == f"eventslots serve: port {port} on 127.0.0.1 is in use; choose another with --port"


def test_listening_beyond_this_machine_warns_there_is_no_authentication(tmp_path):
    _, run = serve_on_a_taken_port("0.0.0.0", tmp_path)
    assert "warning: listening on 0.0.0.0" in run.stderr and "no authentication" in run.stderr
    assert run.returncode == 1  # and the busy port stops it before anything starts
