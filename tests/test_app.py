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


def test_an_article_the_gate_silences_says_what_it_hides(trained_model_dir, tmp_path):
    import shutil

    from eventslots.model.calibration import Calibration
    from eventslots.model.inference import Extractor
    from eventslots.serve.app import hidden_note

    text = (SEEDS_DIR / "004_30bd4df8f24fa5f0.txt").read_text(encoding="utf-8")
    plain = Extractor.load(trained_model_dir)
    every = plain.predict(text, 0.0)
    assert plain.keep(every) == plain.predict(text) != [] and hidden_note(every, plain.keep(every), 0) == ""
    gated_dir = tmp_path / "gated"
    shutil.copytree(trained_model_dir.resolve(), gated_dir)
    Calibration((0.0, 1.0), (0.0, 1.0), trigger_gate=1.0).save(gated_dir)  # no trigger ever reaches it
    gated = Extractor.load(gated_dir)
    every = gated.predict(text, 0.0)
    assert gated.keep(every) == gated.predict(text) == []
    note = hidden_note(every, [], 0)
    assert f"hide {len(every)} tentative span(s)" in note
    assert hidden_note(every, [], 0.5) == ""  # the user's own threshold: nothing to explain


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
    assert list(endpoints) == ["/extract", "/incidents"]


def test_incidents_endpoint_gives_the_records_of_extract_incidents(client, extractor):
    from eventslots.model.incidents import extract_incidents

    text = (SEEDS_DIR / "000_16352e49a1ab6733.txt").read_text(encoding="utf-8")
    records = client.predict(text, "2024-01-05", api_name="/incidents")
    assert records == [r.to_dict() for r in extract_incidents(text, "2024-01-05", extractor)]
    assert records and all(text[s["start"] : s["end"]] == s["text"] for r in records for s in r["spans"])
    with pytest.raises(Exception) as error:
        client.predict(text, "5 January", api_name="/incidents")
    assert "is not an ISO date" in str(error.value) and "Traceback" not in str(error.value)


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(server: subprocess.Popen, port: int, why_dead, seconds: float = 90) -> None:
    """Return once the app answers on ``port``; fail, saying ``why_dead`` (a text or a callable giving one),
    if the server process ends first, or if it does not answer within ``seconds``."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            return
        except OSError:
            assert server.poll() is None, why_dead() if callable(why_dead) else why_dead
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.5)


def hang_up_mid_response(port: int) -> None:
    """A client that asks for the page and leaves after the first bytes of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        connection.recv(64)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset, not close


def test_serve_outlives_its_output_pipe_and_clients_that_hang_up(trained_model_dir):
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    port = free_port()
    # `eventslots serve | head -1`: the reader takes one line and goes away.
    server = subprocess.Popen(
        [sys.executable, "-m", "eventslots", "serve", "--port", str(port), "--model", str(trained_model_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = server.stdout.readline()
        assert first.startswith("eventslots app on"), first + server.stderr.read() if server.poll() is not None else first
        server.stdout.close()
        server.stderr.close()
        wait_until_serving(server, port, "the server died once its output pipe was closed")
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(hang_up_mid_response, [port] * 50))
        assert server.poll() is None, "fifty clients hanging up took the server down"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            assert answer.status == 200 and b"eventslots" in answer.read()
        assert Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "Two drones were shot down over the base on Monday.", api_name="/extract")[3].startswith("Extracted.")
    finally:
        server.kill()
        server.wait()


def test_uploads_above_the_documented_limit_are_refused(app_url):
    import urllib.error
    import urllib.request

    from eventslots.serve.app import MAX_UPLOAD

    assert MAX_UPLOAD == "1mb"
    boundary = "eventslots"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode() + b"x" * 2_000_000 + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{app_url}gradio_api/upload", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code in (400, 413)


def test_a_running_app_follows_a_newly_published_run(trained_model_dir, tmp_path):
    import shutil

    from eventslots.model import store
    from eventslots.serve.holder import ModelHolder

    def copy(folder):
        for file in trained_model_dir.resolve().iterdir():
            shutil.copy(file, folder / file.name)

    target = tmp_path / "models" / "default"
    first = store.write_run(copy, target)
    holder = ModelHolder(target)
    loaded = holder.get()
    assert holder.get() is loaded and first.name in holder.describe()
    second = store.write_run(copy, target)
    assert holder.get() is not loaded and second.name in holder.describe()
    assert str(tmp_path) not in holder.describe()
    assert f"read by the {loaded.backend} backend" in holder.describe()
    # Refitting the incident grouping in place (`eventslots train-incidents`) is picked up too.
    reloaded = holder.get()
    reloaded.grouping.save(second)
    assert holder.get() is not reloaded


def test_a_users_error_is_one_line_in_the_server_log_not_a_traceback(trained_model_dir, tmp_path):
    import time

    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "eventslots", "serve", "--port", str(port), "--model", str(trained_model_dir)],
            stdout=sink, stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(server, port, lambda: log.read_text())
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        for text in ("", "x" * (MAX_CHARS + 1)):
            with pytest.raises(Exception):
                client.predict(text, api_name="/extract")
        time.sleep(1)
        written = log.read_text()
        assert "Traceback" not in written
        assert [line for line in written.splitlines() if "Nothing to read" in line or "Text too long" in line] == [
            "Nothing to read: Paste an article first: the text box is empty.",
            f"Text too long: The text has {MAX_CHARS + 1:,} characters; the app reads at most {MAX_CHARS:,}. "
            "Split it, or use predict() or `eventslots predict`, which have no limit.",
        ]
        assert str(trained_model_dir) not in written.split("eventslots app on")[-1]
    finally:
        server.kill()
        server.wait()
