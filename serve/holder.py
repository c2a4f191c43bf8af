"""The served model: loaded on first use, reloaded when training publishes a new run.

Shared by the Gradio app and the Label Studio backend, and free of either's
framework so that both (and their tests) hold the model the same way.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from eventslots.model import store
from eventslots.model.backends import default_backend
from eventslots.model.inference import Extractor
from eventslots.model.paths import default_model_dir
from eventslots.model.schema import Schema

log = logging.getLogger("eventslots.serve")


class ModelHolder:
    """Loads the model on first use, so the page opens at once and a missing model is a message, not a
    crash; loads it again when a new run is published (or recalibrated), so a running app follows training."""

    def __init__(self, model_dir: str | Path | None, backend: str | None = None):
        self.model_dir = Path(model_dir) if model_dir else None
        self.backend = backend
        self._extractor: Extractor | None = None
        self._version: tuple | None = None
        self._lock = threading.Lock()

    @property
    def location(self) -> Path:
        return self.model_dir or default_model_dir()

    def get(self) -> Extractor:
        return self.get_with_run()[0]

    def get_with_run(self) -> tuple[Extractor, str]:
        """The extractor and the name of the run it was loaded from, read together."""
        with self._lock:
            version = store.version_of(self.location)
            if self._extractor is None or version != self._version:
                self._extractor = Extractor.load(self.location, backend=self.backend)
                if self._version is not None:
                    log.info("loaded the newly published run %s", version[0].name)
                self._version = version
            return self._extractor, self._version[0].name

    def schema(self) -> Schema:
        """The schema of the model directory, read without loading the model (a broken one is a
        BrokenModelError naming the file, as loading would give)."""
        return store.model_schema(self.location)

    def describe(self) -> str:
        """Which run the app uses, for the page (no server paths)."""
        if not (self.location / "config.json").exists():
            return "No model yet: run `eventslots train`."
        run = store.describe_run(self.location)
        scores = ", ".join(f"{name} F1 {value:.3f}" for name, value in run.scores.items() if value is not None)
        backend = self.backend or default_backend(self.location)
        return f"Model run `{run.path.name}`, trained {run.created[:16].replace('T', ' ')}, data `{run.data_hash}`" + (
            f", {scores}" if scores else "") + f"; read by the {backend} backend."
