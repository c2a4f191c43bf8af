"""A Label Studio ML backend: pre-annotations from the model, annotations saved for retraining.

It implements the ML-backend protocol as Label Studio (1.23) speaks it, over
FastAPI (installed with Gradio) rather than the ``label-studio-ml`` package:

- ``GET /health`` (and ``/``): ``{"status": "UP", "model_class", "model_version"}``;
- ``POST /setup`` (``project``, ``schema``: the project's labelling config):
  ``{"model_version"}``; a config sharing no label with the schema is refused
  with a message saying how to get the right one;
- ``POST /predict`` (``tasks``, ``label_config``, ``project``):
  ``{"results": [{"result": [...], "score", "model_version"}, ...]}``, one per
  task, its spans exactly ``predict()``'s, each result item with the span's
  calibrated score; the task's ``score`` is the mean span score (with no span:
  1 minus the best score of any span the model decoded and left out);
- ``POST /webhook``: Label Studio's webhook events. ``ANNOTATION_CREATED``,
  ``ANNOTATION_UPDATED`` and ``ANNOTATIONS_CREATED`` save each annotation as
  a new file under ``annotations/user/`` (validated, never overwriting, the
  app's rules); a newer annotation of the same task supersedes the file of
  the older one, which moves to ``annotations/user/.superseded/`` (kept, not
  trained on), as do files of ``ANNOTATIONS_DELETED``. Saving requests a
  retraining where retraining is on; ``START_TRAINING`` (and ``POST /train``,
  which older Label Studio versions call) requests one at once.

Authentication: a bearer token (``Authorization: Bearer TOKEN``), or HTTP
basic authentication with the token as password (what Label Studio's
"Connect model" dialog sends). Off on a loopback address unless a token is
given; required on any other address.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import logging
import shutil
import time
from pathlib import Path
from typing import Sequence

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from eventslots.model import store
from eventslots.model.paths import workspace_annotations_dir
from eventslots.model.schema import DEFAULT_SCHEMA, Schema
from eventslots.training.corpus import AnnotationError
from eventslots.training.corpus.formats.labelstudio import ConfigNames, config_names, prediction, task_document
from eventslots.training.corpus.validation import Problem

from .editing import USER_DIR_NAME, EditError, corrections_root, save_correction
from .holder import ModelHolder

log = logging.getLogger("eventslots.labelstudio")

SUPERSEDED_DIR = ".superseded"
SAVE_EVENTS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED")
OPEN_PATHS = ("/", "/health")  # probes need no token; they tell nothing about the data


class ProtocolError(ValueError):
    """A request this backend cannot answer; the message says what is wrong with it."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def authorised(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (as a bearer token or a basic-auth password)."""
    scheme, _, value = (header or "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return hmac.compare_digest(value.encode(), token.encode())
    if scheme.lower() == "basic":
        try:
            _, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(password.encode(), token.encode())
    return False


def model_version(holder: ModelHolder) -> str | None:
    """The served run's name (changes when training publishes a new run); None without a model."""
    if not (holder.location / "config.json").exists():
        return None
    return store.run_name(holder.location)


def check_config(label_config: str | None, schema: Schema) -> ConfigNames:
    names = config_names(label_config, schema)
    if label_config and not set(names.labels) & set(schema.label_names):
        raise ProtocolError(
            f"the project's labelling config has no label of this model's {schema.name} schema "
            f"({', '.join(schema.label_names)}); paste the output of `eventslots labelstudio config` into the project's settings"
        )
    return names


def predict_tasks(holder: ModelHolder, tasks: Sequence[dict], label_config: str | None) -> dict:
    """The ``/predict`` answer: one prediction per task, in the order given."""
    names = check_config(label_config, holder.schema())
    texts = []
    for number, task in enumerate(tasks, start=1):
        data = task.get("data") if isinstance(task, dict) else None
        text = data.get(names.text_key) if isinstance(data, dict) else None
        if not isinstance(text, str):
            raise ProtocolError(f"task {task.get('id', number) if isinstance(task, dict) else number}: "
                                f"no text in data.{names.text_key} (the labelling config's Text value)")
        texts.append(text)
    extractor, version = holder.get_with_run()
    wanted = set(names.labels)
    results = []
    for every in extractor.predict_batch(texts, min_score=0):
        kept = extractor.keep(every)  # exactly predict()'s spans
        dropped = [s for s in kept if s.label not in wanted]
        if dropped:
            log.warning("left out %d span(s) whose labels the project lacks: %s", len(dropped), sorted({s.label for s in dropped}))
        results.append(prediction([s for s in kept if s.label in wanted], every, version, names))
    return {"results": results, "model_version": version}


def _task_files(user_dir: Path, project, task) -> list[Path]:
    return sorted(user_dir.glob(f"*-labelstudio-p{project}-t{task}-a*.jsonl"))


def _supersede(paths: Sequence[Path], user_dir: Path) -> list[str]:
    """Move files out of training, into ``.superseded/``; nothing is deleted or overwritten."""
    if not paths:
        return []
    target = user_dir / SUPERSEDED_DIR
    target.mkdir(exist_ok=True)
    moved = []
    for path in paths:
        destination = target / path.name
        if destination.exists():  # a name seen before: keep both
            destination = target / f"{path.stem}-{time.strftime('%Y%m%d%H%M%S')}{path.suffix}"
        shutil.move(str(path), destination)
        moved.append(path.name)
    return moved


def save_annotation(task: dict, annotation: dict, project: dict | None, annotations_dir: Path, schema: Schema) -> dict:
    """Save one Label Studio annotation (in ``schema``) as a new annotation file under ``annotations_dir``; returns what was done."""
    if not isinstance(task, dict) or not isinstance(annotation, dict):
        raise ProtocolError("the event has no task or annotation object")
    project = project if isinstance(project, dict) else {}
    project_id, task_id, annotation_id = project.get("id", "0"), task.get("id", "0"), annotation.get("id", "0")
    if annotation.get("was_cancelled"):
        return {"task": task_id, "annotation": annotation_id, "status": "skipped (the annotator cancelled the task)"}
    names = check_config(project.get("label_config"), schema)
    where = Problem("Label Studio", 0, f"task {task_id}", "", "")
    try:
        document = task_document(task, annotation, where, names)
    except AnnotationError as error:
        raise ProtocolError("; ".join(p.message for p in error.problems)) from None
    user_dir = annotations_dir / USER_DIR_NAME
    older = _task_files(user_dir, project_id, task_id)
    revisions = len(older) + len(_task_files(user_dir / SUPERSEDED_DIR, project_id, task_id))
    name = f"labelstudio-p{project_id}-t{task_id}-a{annotation_id}" + (f"-r{revisions + 1}" if revisions else "")
    meta = {"saved_from": "Label Studio", "project": project_id, "task": task_id, "annotation": annotation_id,
            "completed_by": annotation.get("completed_by"), "updated_at": annotation.get("updated_at")}
    if isinstance(document.meta, dict):
        meta = {**document.meta, **meta}
    try:
        path = save_correction(document.text, document.spans, name, annotations_dir, meta, schema)
    except EditError as error:
        raise ProtocolError(str(error)) from None
    superseded = _supersede(older, user_dir)
    log.info("saved %s (%d span(s))%s", path.name, len(document.spans), f"; superseded {', '.join(superseded)}" if superseded else "")
    return {"task": task_id, "annotation": annotation_id, "status": "saved", "file": f"{USER_DIR_NAME}/{path.name}",
            "spans": len(document.spans), "superseded": superseded}


def delete_annotations(annotations: Sequence[dict], project: dict | None, annotations_dir: Path) -> list[str]:
    user_dir = annotations_dir / USER_DIR_NAME
    project_id = (project or {}).get("id", "*") if isinstance(project, dict) else "*"
    paths = []
    for annotation in annotations:
        ident = annotation.get("id") if isinstance(annotation, dict) else None
        if ident is not None:
            paths += user_dir.glob(f"*-labelstudio-p{project_id}-t*-a{ident}.jsonl")
            paths += user_dir.glob(f"*-labelstudio-p{project_id}-t*-a{ident}-r*.jsonl")
    return _supersede(sorted(set(paths)), user_dir)


def handle_event(payload: dict, annotations_dir: Path, retrainer=None, schema: Schema | None = None) -> dict:
    """The ``/webhook`` answer to one Label Studio event; annotations in ``schema`` (default: the default
    schema) are saved under ``corrections_root(annotations_dir, schema)``."""
    schema = schema or DEFAULT_SCHEMA
    annotations_dir = corrections_root(annotations_dir, schema)
    if not isinstance(payload, dict) or "action" not in payload:
        raise ProtocolError("a webhook event is a JSON object with an 'action'")
    action = payload["action"]
    answer: dict = {"action": action, "status": "ok"}
    if action in SAVE_EVENTS:
        annotations, tasks = payload.get("annotation"), payload.get("task")
        if action == "ANNOTATIONS_CREATED":  # lists; each annotation names its task
            by_id = {t.get("id"): t for t in tasks or [] if isinstance(t, dict)}
            pairs = [(by_id.get(a.get("task")) if isinstance(a, dict) else None, a) for a in annotations or []]
        else:
            pairs = [(tasks, annotations)]
        answer["saved"] = [save_annotation(task, annotation, payload.get("project"), annotations_dir, schema) for task, annotation in pairs]
        if retrainer is not None and any(s["status"] == "saved" for s in answer["saved"]):
            answer["retraining"] = retrainer.request()
    elif action == "ANNOTATIONS_DELETED":
        answer["superseded"] = delete_annotations(payload.get("annotations") or [], payload.get("project"), annotations_dir)
        if retrainer is not None and answer["superseded"]:
            answer["retraining"] = retrainer.request()
    elif action == "START_TRAINING":
        answer["retraining"] = _train_now(retrainer)
    else:
        answer["status"] = "ignored (not an annotation event)"
    return answer


def _train_now(retrainer) -> str:
    if retrainer is None:
        return "retraining is off (start the backend with --retrain)"
    return retrainer.request(delay=0.0)


def build_backend(
    model_dir: str | Path | None = None,
    annotations_dir: str | Path | None = None,
    token: str | None = None,
    retrainer=None,
    backend: str | None = None,
):
    """The FastAPI application. ``token`` None: no authentication (for loopback addresses only;
    ``serve_backend`` enforces that)."""
    holder = ModelHolder(model_dir, backend)
    annotations = Path(annotations_dir) if annotations_dir else workspace_annotations_dir()
    app = FastAPI(title="eventslots Label Studio ML backend", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.holder, app.state.retrainer, app.state.annotations_dir = holder, retrainer, annotations

    @app.middleware("http")
    async def require_token(request: Request, call_next):
        if token and request.url.path not in OPEN_PATHS and not authorised(request.headers.get("authorization"), token):
            return JSONResponse({"error": "missing or wrong token: send 'Authorization: Bearer TOKEN' "
                                 "(or basic authentication with the token as password)"}, status_code=401,
                                headers={"WWW-Authenticate": 'Bearer, Basic realm="eventslots"'})
        return await call_next(request)

    @app.exception_handler(ProtocolError)
    async def protocol_error(request: Request, error: ProtocolError):
        log.warning("%s %s refused: %s", request.method, request.url.path, error)
        return JSONResponse({"error": str(error)}, status_code=422)

    @app.exception_handler(store.ModelStoreError)
    @app.exception_handler(FileNotFoundError)
    async def no_model(request: Request, error: Exception):
        log.warning("%s %s: %s", request.method, request.url.path, error)
        return JSONResponse({"error": f"the model cannot be read: {error}"}, status_code=503)

    async def body(request: Request) -> dict:
        try:
            payload = await request.json()
        except ValueError:
            raise ProtocolError("the request body is not JSON") from None
        if not isinstance(payload, dict):
            raise ProtocolError("the request body is not a JSON object")
        return payload

    @app.get("/")
    @app.get("/health")
    def health():
        return {"status": "UP", "model_class": "eventslots", "model_version": model_version(holder)}

    @app.post("/setup")
    async def setup(request: Request):
        payload = await body(request)
        check_config(payload.get("schema"), holder.schema())
        return {"model_version": model_version(holder)}

    @app.post("/predict")
    async def predict(request: Request):
        payload = await body(request)
        tasks = payload.get("tasks")
        if not isinstance(tasks, list):
            raise ProtocolError("'tasks' must be a list of Label Studio tasks")
        return await run_in_threadpool(predict_tasks, holder, tasks, payload.get("label_config"))

    @app.post("/webhook")
    async def webhook(request: Request):
        return handle_event(await body(request), annotations, retrainer, holder.schema())

    @app.post("/train")
    async def train(request: Request):
        await body(request)
        return {"status": "ok", "retraining": _train_now(retrainer)}

    @app.get("/retraining")
    def retraining():
        return retrainer.status() if retrainer is not None else {"state": "off"}

    return app


def serve_backend(app, host: str, port: int, token: str | None) -> None:
    """Run ``app`` with uvicorn; refuses an address other than loopback without a token."""
    import uvicorn

    if not token and not is_loopback(host):
        raise ValueError(f"--host {host} is reachable from other machines: give a --token "
                         "(or $EVENTSLOTS_LABELSTUDIO_TOKEN) so only Label Studio can write annotations")
    uvicorn.run(app, host=host, port=port, log_level="info")
