"""Corpus mode: tag every document of a corpus, in parts, on this machine or on Ray.

Both engines run the same ``PartTagger`` on the same parts and write through the
same ``PartStore``, so their rows are identical and either resumes the other's
stopped run. ``local`` tags the parts one after another in this process;
``ray`` hands them to a Ray Data ``map_batches`` over an actor pool, each actor
loading the model once, and writes each part as it comes back.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

from .parts import PartStore
from .sources import Document, Part, input_format, output_format, plan_parts, read_part

ENGINES = ("local", "ray")


@dataclass
class CorpusRun:
    """One ``eventslots predict --input ... --output ...`` run."""

    input: Path
    output: Path
    model: Path
    backend: str
    engine: str = "local"
    incidents: bool = field(default=True, metadata={"help": "add the incident records to each row"})
    part_size: int = field(default=250, metadata={"help": "documents per part: the unit of work and of resuming"})
    batch_size: int = field(default=16, metadata={"help": "documents tagged together (their windows share forward passes)"})
    workers: int | None = field(default=None, metadata={"help": "Ray actors (default: one per CPU of the cluster)"})
    address: str | None = field(default=None, metadata={"help": "an existing Ray cluster (default: a local Ray started for the run)"})
    ship_model: bool = field(default=False, metadata={
        "help": "send the model directory to the Ray workers with the job (for a cluster whose workers cannot read it)"})
    restart: bool = False

    def manifest(self) -> dict:
        stat = self.input.stat()
        return {
            "input": str(self.input.resolve()), "input_bytes": stat.st_size, "input_modified": stat.st_mtime_ns,
            "output": str(self.output.resolve()), "model": str(self.model.resolve()), "backend": self.backend,
            "incidents": self.incidents, "part_size": self.part_size,
        }


def config_help(name: str) -> str:
    """A ``CorpusRun`` field's help text, for the command line."""
    return next(f.metadata.get("help", "") for f in fields(CorpusRun) if f.name == name)


class PartTagger:
    """Loads the model once; tags whole parts. Picklable by its settings, so Ray can build one per actor."""

    def __init__(self, input: str, model: str, backend: str, incidents: bool, batch_size: int, threads: int | None = None):
        from eventslots.model.inference import Extractor

        self.input = Path(input)
        self.incidents = incidents
        self.batch_size = batch_size
        self.extractor = Extractor.load(model, backend=backend, threads=threads)
        if incidents:
            from eventslots.model.incidents import has_incident_slots

            # A model of another schema has no attack slots to build records from: its rows hold spans only.
            self.incidents = has_incident_slots(self.extractor.schema)

    def tag(self, part: Part) -> tuple[list[dict], list[dict]]:
        """(rows, rejected documents) of one part, rows in input order."""
        documents, rejected = [], []
        for item in read_part(self.input, part):
            (documents if isinstance(item, Document) else rejected).append(item)
        rows = []
        for first in range(0, len(documents), self.batch_size):
            rows.extend(self._rows(documents[first : first + self.batch_size]))
        return rows, [r.to_dict() for r in rejected]

    def _rows(self, documents: list[Document]) -> list[dict]:
        texts = [d.text for d in documents]
        if self.incidents:
            from eventslots.model.incidents import analyse_batch

            results = analyse_batch(texts, [d.published for d in documents], self.extractor)
            return [
                {"id": d.id, "spans": [s.to_dict() for s in spans], "incidents": [i.to_row() for i in records]}
                for d, (spans, records) in zip(documents, results)
            ]
        return [{"id": d.id, "spans": [s.to_dict() for s in spans], "incidents": None} for d, spans in zip(documents, self.extractor.predict_batch(texts))]

    def __call__(self, batch: dict) -> dict:
        """Ray's side: a batch of part descriptions in, their rows and rejections (as JSON) out."""
        import json

        numbers, rows, rejected = [], [], []
        for description in batch["part"]:
            part = Part(**json.loads(description))
            found, bad = self.tag(part)
            numbers.append(part.number)
            rows.append(json.dumps(found, ensure_ascii=False))
            rejected.append(json.dumps(bad, ensure_ascii=False))
        return {"number": numbers, "rows": rows, "rejected": rejected}


def run_corpus(run: CorpusRun, progress: Callable[[int, int, int], None] | None = None) -> dict:
    """Tags the corpus and writes the output; a summary. ``progress(documents done, total, rejected)``
    is called after each part."""
    input_format(run.input)
    kind = output_format(run.output)
    if run.engine not in ENGINES:
        raise ValueError(f"unknown engine {run.engine!r}: choose one of {', '.join(ENGINES)}")
    for name in ("part_size", "batch_size", "workers"):
        value = getattr(run, name)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    parts = plan_parts(run.input, run.part_size)
    store = PartStore(run.output)
    if run.output.exists() and not store.folder.exists() and not run.restart:
        raise ValueError(f"{run.output}: exists (a finished run's output?); give another --output, or --restart to replace it")
    finished = store.open(run.manifest(), run.restart)
    todo = [p for p in parts if p.number not in finished]
    total = sum(p.count for p in parts)
    state = {"done": total - sum(p.count for p in todo), "started": time.monotonic(), "resumed": len(finished)}
    report = progress or (lambda done, total, rejected: None)
    report(state["done"], total, 0)

    def finished_part(part: Part, rows: list[dict], rejected: list[dict]) -> None:
        store.write(part.number, rows, rejected)
        state["done"] += part.count
        report(state["done"], total, len(rejected))

    if todo:
        (_run_ray if run.engine == "ray" else _run_local)(run, todo, finished_part)
    rows, rejected = store.finalise(len(parts), kind)
    return {
        "documents": total, "rows": rows, "rejected": rejected, "parts": len(parts), "resumed_parts": state["resumed"],
        "output": str(run.output), "errors": str(store.errors) if rejected else None, "seconds": round(time.monotonic() - state["started"], 1),
    }


def _run_local(run: CorpusRun, todo: list[Part], finished_part) -> None:
    tagger = PartTagger(str(run.input), str(run.model), run.backend, run.incidents, run.batch_size)
    for part in todo:
        finished_part(part, *tagger.tag(part))


def shipped_excludes(backend: str) -> list[str]:
    """The model directory's files a worker using ``backend`` never reads."""
    from eventslots.model.store import ONNX_FILES, WEIGHTS_FILES

    unread = [name for kind, name in ONNX_FILES.items() if kind != backend]
    if backend != "torch":
        unread += list(WEIGHTS_FILES)
    return unread + ["README.md"]


def _run_ray(run: CorpusRun, todo: list[Part], finished_part) -> None:
    import json

    try:
        import ray
    except ImportError:
        raise ValueError("--engine ray needs Ray: pip install -e '.[scale]'") from None
    started_here = not ray.is_initialized()
    model = str(run.model.resolve())
    environment = {}
    if run.ship_model:
        # The job's working directory becomes the model directory on every worker, without the files
        # this backend does not read (Ray limits a shipped directory to 500 MB).
        environment["working_dir"] = model
        environment["excludes"] = shipped_excludes(run.backend)
        model = "."
    if started_here:
        if run.address:
            ray.init(address=run.address, log_to_driver=False, runtime_env=environment or None)
        else:
            cores = len(os.sched_getaffinity(0))
            # A local Ray for this run only: no dashboard, a modest object store (parts are small).
            ray.init(num_cpus=cores, include_dashboard=False, object_store_memory=256 * 2**20, log_to_driver=False,
                     configure_logging=False, runtime_env=environment or None)
    elif environment:
        raise ValueError("--ship-model needs the run to connect to Ray itself (Ray is already initialised in this process)")
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # ours counts documents; Ray's would count blocks beside it
        context.execution_options.preserve_order = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        workers = run.workers or cpus
        threads = max(1, cpus // workers)
        by_number = {p.number: p for p in todo}
        dataset = ray.data.from_items([{"part": json.dumps(asdict(p))} for p in todo], override_num_blocks=len(todo))
        tagged = dataset.map_batches(
            PartTagger, batch_size=1, concurrency=workers, num_cpus=threads,
            fn_constructor_kwargs={"input": str(run.input.resolve()), "model": model, "backend": run.backend,
                                   "incidents": run.incidents, "batch_size": run.batch_size, "threads": threads},
        )
        for row in tagged.iter_rows():
            finished_part(by_number[int(row["number"])], json.loads(row["rows"]), json.loads(row["rejected"]))
    finally:
        if started_here:
            ray.shutdown()


class Progress:
    """``run_corpus``'s progress callback: a bar with documents/s and time left on a terminal; off
    one, a line after each part and at least every 30 s between (a part can take minutes)."""

    def __init__(self, command: str = "predict", every: float = 30.0):
        self.command, self.every = command, every
        self.bar = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int, rejected: int) -> None:
        from tqdm.auto import tqdm

        with self._lock:
            if self.bar is None:
                self.bar = tqdm(total=total, initial=done, desc=self.command, unit="doc", disable=None)
                self.start, self.first_done, self.done, self.total = time.monotonic(), done, done, total
                if self.bar.disable and done < total:
                    threading.Thread(target=self._heartbeat, daemon=True).start()
                return
            self.bar.update(done - self.bar.n)
            self.done = done
            if self.bar.disable:
                self._line()
            if done >= total:
                self.close()

    def close(self) -> None:
        self._stop.set()
        if self.bar is not None:
            self.bar.close()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                self._line()

    def _line(self) -> None:
        elapsed = time.monotonic() - self.start
        rate = (self.done - self.first_done) / elapsed if elapsed else 0.0
        left = f"about {(self.total - self.done) / rate:.0f} s left" if rate else "time left not known yet"
        print(f"{self.command}: {self.done}/{self.total} documents, {rate:.1f} documents/s, {left}", file=sys.stderr, flush=True)
