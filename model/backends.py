"""The forward pass, the one part of reading that differs between backends.

Everything else (tokenising, windows, Viterbi decoding, offsets, calibration,
incident grouping) is shared code in ``model.inference``. A backend takes a
padded batch of windows and returns, per sub-word, the tag probabilities and
(when asked) the encoder's last-layer states, as numpy arrays.

``torch`` runs the fine-tuned Hugging Face model; ``onnx`` and ``onnx-int8``
run the graphs ``model.export`` writes into the model directory with ONNX
Runtime. The ONNX backends read the tokenizer with the ``tokenizers`` library
alone, so a process that predicts or serves with them never imports torch
(about 300 MB of memory before any model).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .store import GATE_FILE, ONNX_FILES, BrokenModelError, onnx_file

BACKENDS = ("torch", "onnx", "onnx-int8")
BACKEND_ENV = "EVENTSLOTS_BACKEND"
# What `predict`, `serve`, corpus mode and the Python API use unless told otherwise: the int8 graph
# where the model passed its gate (training.backend_gate, run by `eventslots calibrate`), else the
# fp32 graph, which reads exactly as torch does without loading it.
GATED_BACKEND = "onnx-int8"
FALLBACK_BACKEND = "onnx"
# The gate: exact-span agreement with fp32 torch on the seeds and real-dev, real-dev strict F1
# drop, calibration error of the int8 scores on real-dev.
GATE = {"agreement": 0.97, "f1_drop": 0.01, "ece": 0.05}
# The graph's input and output names, shared by the exporter and the runtime.
INPUTS = ("input_ids", "attention_mask")
OUTPUTS = ("probabilities", "hidden")


def default_backend(model_dir: Path | None = None) -> str:
    """``$EVENTSLOTS_BACKEND`` if set; else int8 where ``model_dir`` passed its gate, else fp32 ONNX."""
    if os.environ.get(BACKEND_ENV):
        return check_backend(os.environ[BACKEND_ENV])
    return GATED_BACKEND if model_dir is not None and gate_passed(Path(model_dir)) else FALLBACK_BACKEND


def gate_passed(model_dir: Path) -> bool:
    try:
        return bool(json.loads((model_dir / GATE_FILE).read_text(encoding="utf-8")).get("passed"))
    except (OSError, ValueError, AttributeError):
        return False  # no gate measured (or an unreadable one): no int8 by default


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")
    return name


def model_tags(path: Path) -> list[str]:
    labels = json.loads((Path(path) / "config.json").read_text(encoding="utf-8")).get("id2label") or {}
    return [labels.get(str(i), labels.get(i)) for i in range(len(labels))]


class TorchTagger:
    """A Hugging Face token classifier in torch."""

    backend = "torch"

    def __init__(self, model):
        import torch

        self._torch = torch
        self.model = model.eval()
        self.tags = [model.config.id2label[i] for i in range(model.config.num_labels)]

    def __call__(self, ids: np.ndarray, mask: np.ndarray, states: bool = False):
        torch = self._torch
        with torch.inference_mode():
            output = self.model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask), output_hidden_states=states)
            probs = torch.softmax(output.logits.float(), dim=-1).numpy()
            last = output.hidden_states[-1].float().numpy() if states else None
        return probs, last


def session_options(threads: int):
    """ONNX Runtime's options for a graph run on ``threads`` threads."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Torch's rule: one thread per core. ORT's default also spins idle threads, which starves
    # the other processes of a 2-core machine (a server's web threads, Ray's other workers).
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class OnnxTagger:
    """A graph exported by ``model.export``, run by ONNX Runtime."""

    def __init__(self, path: Path, tags: list[str], threads: int | None = None, quantised: bool | None = None):
        import onnxruntime

        path = Path(path)
        cores = threads or len(os.sched_getaffinity(0))
        # Dynamic quantisation scales activations by the range of the whole batch, so a window's
        # reading would depend on the windows beside it (and on their padding). Read one window at a
        # time and it depends on nothing else: predict(text) == predict_batch([..., text, ...]).
        self.one_window_at_a_time = quantised if quantised is not None else path.name == ONNX_FILES["onnx-int8"]
        self.backend = "onnx-int8" if self.one_window_at_a_time else "onnx"
        # One window's products (about 100 x 384 sub-words by features) are too small to split well
        # over cores, so the one-window graph reads a window per core instead, each run on one thread
        # (ORT lets go of the GIL while it runs; benchmarks/bench_int8_reading.py). A batched graph
        # splits its large products over cores itself.
        self.workers = cores if self.one_window_at_a_time else 1
        try:
            self.session = onnxruntime.InferenceSession(str(path), session_options(1 if self.workers > 1 else cores), providers=["CPUExecutionProvider"])
        except Exception as error:  # ORT raises its own kinds; each means the file is unusable
            raise BrokenModelError(f"{path}: the ONNX graph cannot be read ({type(error).__name__}: {error})") from None
        self.tags = tags
        self.path = path
        self._pool = None

    def __call__(self, ids: np.ndarray, mask: np.ndarray, states: bool = False):
        names = list(OUTPUTS) if states else [OUTPUTS[0]]
        if not self.one_window_at_a_time:
            outputs = self.session.run(names, {INPUTS[0]: ids, INPUTS[1]: mask})
            return outputs[0], (outputs[1] if states else None)
        lengths = [int(m.sum()) for m in mask]

        def read(row: int):
            length = lengths[row]
            return self.session.run(names, {INPUTS[0]: ids[row : row + 1, :length], INPUTS[1]: mask[row : row + 1, :length]})

        if self.workers > 1 and len(ids) > 1:
            # A forked child inherits the pool but not its threads: it would wait forever, so it makes its own.
            if self._pool is None or self._pool[0] != os.getpid():
                from concurrent.futures import ThreadPoolExecutor

                self._pool = (os.getpid(), ThreadPoolExecutor(self.workers, thread_name_prefix="eventslots-onnx"))
            # Longest first, so the last window read is a short one and neither core waits long for the other.
            order = sorted(range(len(ids)), key=lambda row: -lengths[row])
            readings = [None] * len(ids)
            for row, outputs in zip(order, self._pool[1].map(read, order)):
                readings[row] = outputs
        else:
            readings = [read(row) for row in range(len(ids))]
        probs = np.zeros((len(ids), ids.shape[1], readings[0][0].shape[-1]), dtype=readings[0][0].dtype)
        last = np.zeros((len(ids), ids.shape[1], readings[0][1].shape[-1]), dtype=readings[0][1].dtype) if states else None
        for row, outputs in enumerate(readings):
            probs[row, : lengths[row]] = outputs[0][0]
            if states:
                last[row, : lengths[row]] = outputs[1][0]
        return probs, last


class Tokenizer:
    """The model directory's fast tokenizer read by ``tokenizers`` alone, answering the calls
    ``model.windows`` makes of a Hugging Face tokenizer (same ids, same offsets)."""

    def __init__(self, path: Path):
        from tokenizers import Tokenizer as RustTokenizer

        path = Path(path)
        try:
            self._tokenizer = RustTokenizer.from_file(str(path / "tokenizer.json"))
            config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8")) if (path / "tokenizer_config.json").exists() else {}
        except Exception as error:
            raise BrokenModelError(f"{path / 'tokenizer.json'}: cannot be read ({type(error).__name__}: {error})") from None
        # Windows are cut by model.windows, never by the tokenizer.
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.cls_token_id = self._special(config, "cls_token", "[CLS]")
        self.sep_token_id = self._special(config, "sep_token", "[SEP]")
        self.pad_token_id = self._special(config, "pad_token", "[PAD]")

    def _special(self, config: dict, key: str, default: str) -> int:
        token = config.get(key) or default
        token = token.get("content", default) if isinstance(token, dict) else token
        found = self._tokenizer.token_to_id(token)
        if found is None:
            raise BrokenModelError(f"tokenizer.json: has no {key} {token!r}")
        return found

    def __call__(self, text: str, add_special_tokens: bool = False, **_ignored):
        return _Encoding(self._tokenizer.encode(text, add_special_tokens=add_special_tokens))


class _Encoding(dict):
    def __init__(self, encoding):
        super().__init__(input_ids=encoding.ids, offset_mapping=encoding.offsets)
        self._word_ids = encoding.word_ids

    def word_ids(self):
        return self._word_ids


def load_onnx(path: Path, backend: str, threads: int | None = None) -> tuple[OnnxTagger, Tokenizer]:
    graph = onnx_file(path, backend)
    if not graph.exists():
        raise BrokenModelError(
            f"{graph}: missing; this model has no {backend} graph. Write it with `eventslots export onnx --model {path}`, "
            "or use --backend torch"
        )
    return OnnxTagger(graph, model_tags(path), threads), Tokenizer(path)
