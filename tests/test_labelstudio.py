"""The Label Studio ML backend, over HTTP: the protocol's documented requests, then a real Label Studio.

The protocol tests send the request shapes of Label Studio's ML-backend
documentation (and of its ``label_studio/ml/api_connector.py``) to the real
FastAPI app with the real tiny model. ``test_real_label_studio`` drives a real
Label Studio server (``$EVENTSLOTS_LABEL_STUDIO`` or ``.venv-labelstudio``,
installed by the README's test command) end to end.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from eventslots.model.paths import SEEDS_DIR
from eventslots.training.corpus import load_documents
from eventslots.training.corpus.formats.labelstudio import labelstudio_config

SEED = (SEEDS_DIR / "004_30bd4df8f24fa5f0.txt").read_text(encoding="utf-8")
CONFIG = labelstudio_config()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def backend(trained_model_dir, tmp_path):
    from fastapi.testclient import TestClient

    from eventslots.serve.labelstudio import build_backend

    annotations = tmp_path / "annotations"
    with TestClient(build_backend(trained_model_dir, annotations)) as client:
        client.annotations = annotations
        yield client


def predict_request(tasks: list[dict]) -> dict:
    """``/predict``'s body as Label Studio sends it (api_connector: _prep_prediction_req)."""
    return {"tasks": tasks, "project": "1.1700000000", "label_config": CONFIG,
            "params": {"login": None, "password": None, "context": None}}


def result_spans(prediction: dict) -> list[tuple]:
    return [(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0], r["value"]["text"], r["score"]) for r in prediction["result"]]


def expected_spans(extractor, text: str) -> list[tuple]:
    return [(s.start, s.end, s.label, s.text, round(s.score, 4)) for s in extractor.predict(text)]


def test_config_is_derived_from_the_schema_and_read_back(capsys):
    from eventslots.cli.main import main
    from eventslots.model.schema import DEFAULT_SCHEMA, LABEL_NAMES
    from eventslots.training.corpus.formats.labelstudio import ConfigNames, config_names

    assert main(["labelstudio", "config"]) == 0
    printed = capsys.readouterr().out
    assert printed == CONFIG and config_names(printed) == ConfigNames() and config_names(printed).labels == LABEL_NAMES
    assert all(f'value="{label}" background="{DEFAULT_SCHEMA.colours[label]}"' in printed for label in LABEL_NAMES)
    assert config_names("<View><broken") == ConfigNames()


def test_serve_command_refuses_what_it_cannot_serve_safely(trained_model_dir, tmp_path, capsys):
    from eventslots.cli.main import main

    assert main(["labelstudio", "serve", "--model", str(tmp_path / "none")]) == 1
    assert "no trained model" in capsys.readouterr().err
    assert main(["labelstudio", "serve", "--model", str(trained_model_dir), "--host", "0.0.0.0"]) == 1
    assert "give a --token" in capsys.readouterr().err


def test_health_and_setup_answer_with_the_run_name(backend, trained_model_dir):
    health = backend.get("/health").json()
    assert health["status"] == "UP" and health["model_version"] == trained_model_dir.resolve().name
    setup = backend.post("/setup", json={"project": "1.1700000000", "schema": CONFIG, "hostname": "http://localhost:8080",
                                         "access_token": "x", "extra_params": None})
    assert setup.status_code == 200 and setup.json() == {"model_version": trained_model_dir.resolve().name}


def test_setup_refuses_a_config_without_the_schemas_labels(backend):
    other = '<View><Labels name="ner" toName="t"><Label value="PER"/></Labels><Text name="t" value="$body"/></View>'
    answer = backend.post("/setup", json={"project": "1.1", "schema": other})
    assert answer.status_code == 422 and "eventslots labelstudio config" in answer.json()["error"]


def test_predict_gives_the_spans_of_predict_in_label_studios_format(backend, extractor):
    tasks = [{"id": 7, "data": {"text": SEED}}, {"id": 8, "data": {"text": "The weather was mild."}}]
    answer = backend.post("/predict", json=predict_request(tasks))
    assert answer.status_code == 200
    body = answer.json()
    first, second = body["results"]
    assert result_spans(first) and result_spans(first) == expected_spans(extractor, SEED)
    assert all(r["from_name"] == "label" and r["to_name"] == "text" and r["type"] == "labels" for r in first["result"])
    assert first["score"] == pytest.approx(sum(s[4] for s in result_spans(first)) / len(first["result"]), abs=1e-3)
    assert 0.0 <= second["score"] <= 1.0 and first["model_version"] == body["model_version"]


def test_predict_follows_the_projects_names(backend, extractor):
    config = CONFIG.replace('name="label"', 'name="slots"').replace('toName="text"', 'toName="article"').replace(
        '<Text name="text" value="$text"/>', '<Text name="article" value="$body"/>')
    body = predict_request([{"id": 1, "data": {"body": SEED}}])
    body["label_config"] = config
    [prediction] = backend.post("/predict", json=body).json()["results"]
    assert {(r["from_name"], r["to_name"]) for r in prediction["result"]} == {("slots", "article")}
    assert result_spans(prediction) == expected_spans(extractor, SEED)


def test_predict_names_what_is_wrong_with_a_bad_request(backend):
    assert "no text in data.text" in backend.post("/predict", json=predict_request([{"id": 3, "data": {"url": "x"}}])).json()["error"]
    assert backend.post("/predict", json={"tasks": "x"}).status_code == 422
    answer = backend.post("/predict", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "not JSON" in answer.json()["error"]


def annotation_event(action: str, annotation_id: int, result: list[dict], task_id: int = 5, text: str = SEED) -> dict:
    """A webhook body as Label Studio sends it for an annotation (webhook_reference: annotation, task, project)."""
    return {
        "action": action,
        "annotation": {"id": annotation_id, "result": result, "was_cancelled": False, "ground_truth": False,
                       "completed_by": 1, "updated_at": "2026-12-06T10:00:00Z", "task": task_id, "project": 3},
        "task": {"id": task_id, "data": {"text": text}, "annotations": [annotation_id], "project": 3},
        "project": {"id": 3, "title": "attacks", "label_config": CONFIG},
    }


def region(text: str, surface: str, label: str) -> dict:
    start = text.index(surface)
    return {"id": surface[:5], "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual",
            "value": {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}}


def test_an_annotation_lands_as_a_valid_file_and_an_update_supersedes_it(backend):
    first = region(SEED, "Two drones", "WEAPON")
    saved = backend.post("/webhook", json=annotation_event("ANNOTATION_CREATED", 11, [first])).json()
    assert saved["saved"][0]["status"] == "saved"
    user = backend.annotations / "user"
    [path] = user.glob("*.jsonl")
    [document] = load_documents([path])  # validated as the corpus is
    assert document.text == SEED and [(s.text, s.label) for s in document.spans] == [("Two drones", "WEAPON")]
    assert document.source == "user" and document.meta["saved_from"] == "Label Studio" and document.meta["task"] == 5

    updated = backend.post("/webhook", json=annotation_event("ANNOTATION_UPDATED", 11, [first, region(SEED, "al-Asad Airbase", "TARGET")])).json()
    assert updated["saved"][0]["superseded"] == [path.name]
    [current] = user.glob("*.jsonl")
    assert current.name.endswith("-a11-r2.jsonl") and len(load_documents([current])[0].spans) == 2
    assert (user / ".superseded" / path.name).exists()  # kept, out of training
    assert [d.id for d in load_documents([backend.annotations])] == [load_documents([current])[0].id]

    deleted = backend.post("/webhook", json={"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 11}], "project": {"id": 3}}).json()
    assert deleted["superseded"] == [current.name] and not list(user.glob("*.jsonl"))


def test_bad_annotations_are_refused_and_nothing_is_written(backend):
    bad = region(SEED, "Two drones", "VEHICLE")
    answer = backend.post("/webhook", json=annotation_event("ANNOTATION_CREATED", 12, [bad]))
    assert answer.status_code == 422 and "VEHICLE" in answer.json()["error"]
    shifted = region(SEED, "Two drones", "WEAPON")
    shifted["value"]["start"] += 1
    answer = backend.post("/webhook", json=annotation_event("ANNOTATION_CREATED", 13, [shifted]))
    assert answer.status_code == 422 and "refused rather than imported shifted" in answer.json()["error"]
    cancelled = annotation_event("ANNOTATION_CREATED", 14, [])
    cancelled["annotation"]["was_cancelled"] = True
    assert "skipped" in backend.post("/webhook", json=cancelled).json()["saved"][0]["status"]
    assert backend.post("/webhook", json={"action": "PROJECT_UPDATED", "project": {"id": 3}}).json()["status"].startswith("ignored")
    assert not (backend.annotations / "user").exists() or not list((backend.annotations / "user").glob("*.jsonl"))


def test_a_token_is_required_when_given(trained_model_dir, tmp_path):
    from fastapi.testclient import TestClient

    from eventslots.serve.labelstudio import build_backend

    with TestClient(build_backend(trained_model_dir, tmp_path, token="s3cret")) as client:
        request = predict_request([{"id": 1, "data": {"text": "Rockets hit the base."}}])
        assert client.get("/health").status_code == 200  # probes stay open
        assert client.post("/predict", json=request).status_code == 401
        assert client.post("/predict", json=request, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.post("/predict", json=request, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        basic = base64.b64encode(b"labelstudio:s3cret").decode()  # Label Studio's "basic auth" connection option
        assert client.post("/predict", json=request, headers={"Authorization": f"Basic {basic}"}).status_code == 200
        assert client.post("/webhook", json={"action": "START_TRAINING"}).status_code == 401


def test_webhook_retrains_in_the_background_and_the_backend_switches_run(tmp_path, tiny_config):
    from fastapi.testclient import TestClient

    from eventslots.model.paths import CORPUS_DIR
    from eventslots.serve.labelstudio import build_backend
    from eventslots.training.jobs import train_and_save
    from eventslots.training.retrain import Retrainer

    model = tmp_path / "models" / "served"
    train_and_save(tiny_config, model, [str(CORPUS_DIR / "seeds")], progress=False, max_steps=2)
    first_run = model.resolve().name
    retrainer = Retrainer(model, tmp_path, delay=0.5, train_args=["--sources", "seed,user", "--max-steps", "2", "--batch-size", "2",
                                                                  "--window-tokens", "128", "--stride-tokens", "32"],
                          calibrate=False, log_file=tmp_path / "retrain.log")
    with TestClient(build_backend(model, tmp_path / "annotations", retrainer=retrainer)) as client:
        assert client.get("/health").json()["model_version"] == first_run
        for number, place in ((21, "Erbil"), (22, "Kirkuk")):  # two annotations within the delay: one training
            text = f"Two drones struck a base near {place} on Monday, officials said."
            event = annotation_event("ANNOTATION_CREATED", number, [region(text, "Two drones", "WEAPON")], task_id=number, text=text)
            answer = client.post("/webhook", json=event)
            assert "retraining in" in answer.json()["retraining"]
        assert retrainer.wait(240), (tmp_path / "retrain.log").read_text()
        assert len(retrainer.runs) == 1 and retrainer.runs[0]["ok"], (tmp_path / "retrain.log").read_text()
        second_run = client.get("/health").json()["model_version"]
        assert second_run != first_run
        [prediction] = client.post("/predict", json=predict_request([{"id": 1, "data": {"text": SEED}}])).json()["results"]
        assert prediction["model_version"] == second_run
    settings = json.loads((model / "eventslots.json").read_text())
    assert settings["corpus"]["documents"].get("user") == 2  # the saved annotations were trained on


# --- a real Label Studio ---------------------------------------------------------------------------

def label_studio_binary() -> str | None:
    configured = os.environ.get("EVENTSLOTS_LABEL_STUDIO")
    local = Path(__file__).resolve().parent.parent / ".venv-labelstudio" / "bin" / "label-studio"
    for candidate in (configured, str(local) if local.exists() else None, shutil.which("label-studio")):
        if candidate:
            return candidate
    return None


TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    binary = label_studio_binary()
    if binary is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI must install Label Studio for this test (the README's test command does, in .venv-labelstudio)")
        pytest.skip("Label Studio is not installed: python3 -m venv .venv-labelstudio && .venv-labelstudio/bin/pip install label-studio==1.23.2 'sentry-sdk<3'")
    data = tmp_path_factory.mktemp("label-studio")
    port = free_port()
    log = open(data / "server.log", "w")
    # Label Studio refuses loopback URLs unless told otherwise; here the backend is on this machine by design.
    environment = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data), "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
                   "SSRF_PROTECTION_ENABLED": "false", "ML_BLOCK_LOCAL_IP": "false", "USE_DEFAULT_BANNED_SUBNETS": "false"}
    server = subprocess.Popen([binary, "start", "--no-browser", "--port", str(port), "--username", "test@eventslots.example",
                               "--password", "eventslots-test", "--user-token", TOKEN, "--enable-legacy-api-token"],
                              env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=data)
    import requests

    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"Label Studio exited: {(data / 'server.log').read_text()[-2000:]}")
        time.sleep(1)
    else:
        server.terminate()
        raise RuntimeError(f"Label Studio did not start in 180 s: {(data / 'server.log').read_text()[-2000:]}")
    session = requests.Session()
    session.headers["Authorization"] = f"Token {TOKEN}"
    session.base = url
    yield session
    server.terminate()
    server.wait(30)
    log.close()


@pytest.fixture
def served_backend(trained_model_dir, tmp_path):
    """The backend on a real port (uvicorn), for Label Studio to call."""
    import uvicorn

    from eventslots.serve.labelstudio import build_backend

    annotations = tmp_path / "annotations"
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_backend(trained_model_dir, annotations), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", annotations
    server.should_exit = True
    thread.join(10)


def test_real_label_studio(label_studio, served_backend, extractor):
    url, annotations = served_backend
    api = label_studio.base + "/api"
    project = label_studio.post(f"{api}/projects", json={"title": "eventslots test", "label_config": CONFIG})
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    connected = label_studio.post(f"{api}/ml", json={"url": url, "project": project_id, "title": "eventslots", "is_interactive": False})
    assert connected.status_code == 201, connected.text  # Label Studio called /health and /setup
    imported = label_studio.post(f"{api}/projects/{project_id}/import", json=[{"text": SEED}])
    assert imported.status_code == 201, imported.text
    [task] = label_studio.get(f"{api}/tasks", params={"project": project_id}).json()["tasks"]

    action = label_studio.post(f"{api}/dm/actions", params={"id": "retrieve_tasks_predictions", "project": project_id},
                               json={"selectedItems": {"all": False, "included": [task["id"]]}})
    assert action.status_code == 200, action.text
    [prediction] = label_studio.get(f"{api}/predictions", params={"task": task["id"]}).json()
    assert prediction["model_version"] == extractor_run(url, label_studio)
    assert result_spans(prediction) == expected_spans(extractor, SEED)

    result = [region(SEED, "Two drones", "WEAPON")]
    annotation = label_studio.post(f"{api}/tasks/{task['id']}/annotations", json={"result": result, "was_cancelled": False})
    assert annotation.status_code == 201, annotation.text
    deadline = time.monotonic() + 30  # Label Studio sends its webhook after answering
    while time.monotonic() < deadline and not list((annotations / "user").glob("*.jsonl")):
        time.sleep(0.2)
    [path] = (annotations / "user").glob("*.jsonl")
    [document] = load_documents([path])
    assert document.text == SEED and [(s.text, s.label) for s in document.spans] == [("Two drones", "WEAPON")]
    assert document.meta["project"] == project_id and document.meta["task"] == task["id"]


def extractor_run(url: str, session) -> str:
    return session.get(f"{url}/health").json()["model_version"]
