"""Retraining in the background, debounced: what a server does when annotations arrive.

``Retrainer.request()`` (re)starts a countdown of ``delay`` seconds, so a burst
of annotations causes one training, not one each. When it ends, ``eventslots
train`` runs as a child process (a serving process never imports torch) into
the served model location, then ``eventslots calibrate``. Training publishes
the new run atomically (``model.store``): until it is complete the old run is
served, and a killed training leaves it in place. A request during a training
runs one more training after it, on everything saved by then.

The children's output goes to a log file (training writes a line at least
every 30 seconds when it is not on a terminal).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

log = logging.getLogger("eventslots.retrain")


@dataclass
class Retrainer:
    model_dir: Path
    home: Path  # the workspace whose annotations/ the training reads ($EVENTSLOTS_HOME of the children)
    delay: float = 300.0
    train_args: Sequence[str] = ()
    calibrate: bool = True
    log_file: Path | None = None
    state: str = field(default="idle", init=False)  # idle, scheduled, training
    runs: list[dict] = field(default_factory=list, init=False)  # finished trainings, oldest first
    _timer: threading.Timer | None = field(default=None, init=False, repr=False)
    _again: bool = field(default=False, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def request(self, delay: float | None = None) -> str:
        """Ask for a retraining in ``delay`` seconds (default: the debounce delay); returns what will happen."""
        delay = self.delay if delay is None else delay
        with self._lock:
            if self.state == "training":
                self._again = True
                return "a training is running; another will follow it"
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(delay, self._start)
            self._timer.daemon = True
            self._timer.start()
            self.state = "scheduled"
            return f"retraining in {delay:g} s unless more annotations arrive first"

    def status(self) -> dict:
        return {"state": self.state, "runs": self.runs[-5:]}

    def wait(self, timeout: float) -> bool:
        """Block until idle (for tests and shutdown); False if still busy after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state == "idle":
                return True
            time.sleep(0.2)
        return self.state == "idle"

    def commands(self) -> list[list[str]]:
        eventslots = [sys.executable, "-m", "eventslots"]
        steps = [[*eventslots, "train", "--output", str(self.model_dir), *self.train_args]]
        if self.calibrate:
            steps.append([*eventslots, "calibrate", "--model", str(self.model_dir)])
        return steps

    def _start(self) -> None:
        with self._lock:
            self._timer = None
            self.state = "training"
        threading.Thread(target=self._run, name="eventslots-retrain", daemon=True).start()

    def _run(self) -> None:
        while True:
            self.runs.append(self._train_once())
            with self._lock:
                if not self._again:
                    self.state = "idle"
                    return
                self._again = False

    def _train_once(self) -> dict:
        started = time.time()
        environment = {**os.environ, "EVENTSLOTS_HOME": str(self.home)}
        outcome = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)), "ok": True}
        sink = open(self.log_file, "a", encoding="utf-8") if self.log_file else subprocess.DEVNULL
        try:
            for command in self.commands():
                log.info("retraining: %s", " ".join(command[2:]))
                code = subprocess.run(command, env=environment, stdout=sink, stderr=subprocess.STDOUT, cwd=self.home).returncode
                if code != 0:
                    where = f"; see {self.log_file}" if self.log_file else ""
                    log.warning("retraining: `%s` failed (exit %d)%s; the served model is unchanged", " ".join(command[2:4]), code, where)
                    outcome.update(ok=False, failed=" ".join(command[2:4]), exit=code)
                    # A model trained but not calibrated is still a complete, published run.
                    break
        finally:
            if sink is not subprocess.DEVNULL:
                sink.close()
        outcome["seconds"] = round(time.time() - started, 1)
        log.info("retraining finished in %.0f s (%s)", outcome["seconds"], "ok" if outcome["ok"] else "failed")
        return outcome
