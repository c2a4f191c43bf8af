"""Reading whole documents with a trained tagger.

Each text is tokenised once and cut into overlapping windows (``model.windows``);
the windows of all texts in a call are batched together, shortest padding
first. Every sub-word takes its probabilities from the window where it has the
most context on both sides, each word takes those of its first sub-word, and a
constrained Viterbi pass turns the word probabilities into valid IOB2 spans.
Nothing is truncated, whatever the length of the text.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from . import base  # noqa: F401  (sets offline mode before transformers loads)
from .backends import OnnxTagger, TorchTagger, check_backend, default_backend, load_onnx
from .calibration import Calibration
from .decoding import viterbi
from .grouping import PairScorer
from .paths import MODEL_ENV, default_model_dir
from .schema import DEFAULT_SCHEMA, OUTSIDE, Schema
from .spans import Span
from .store import SETTINGS_FILE, BrokenModelError, check_complete, weights_file
from .tagging import tags_to_spans, word_tokens
from .windows import DEFAULT_CONTEXT_TOKENS, DEFAULT_OVERLAP_TOKENS, DEFAULT_STRIDE_TOKENS, DEFAULT_WINDOW_TOKENS, EncodedText, Window, encode_text, plan_reading, window_inputs


# Windows handed at once to a graph that reads one window per core: enough to keep the cores busy,
# few enough that the padded inputs and hidden states of one call stay small (256 x 128 x 384 floats: 50 MB).
WINDOWS_PER_CALL = 256


class ModelNotFoundError(FileNotFoundError):
    pass


@dataclass(frozen=True)
class Reading:
    """``Extractor.read_uncertainty``'s view of one text."""

    spans: list[Span]  # every span the model decodes, whatever its score
    word_margins: np.ndarray  # per word: best tag probability minus the second best
    vector: np.ndarray  # mean last-layer state of the text's sub-words


def require_model(path: Path) -> None:
    if not (path / "config.json").exists():
        raise ModelNotFoundError(
            f"No trained eventslots model at {path}. Train one with `eventslots train` "
            f"(a few minutes on a laptop CPU), or point {MODEL_ENV} at a model directory."
        )


class Extractor:
    """One loaded tagger. Thread-safe: calls are serialised around the model.

    ``model`` is a Hugging Face token classifier (the torch backend) or a
    ``model.backends.OnnxTagger``; only the forward pass differs between them."""

    def __init__(
        self,
        model,
        tokenizer,
        window_tokens: int = DEFAULT_WINDOW_TOKENS,
        stride_tokens: int = DEFAULT_STRIDE_TOKENS,
        batch_size: int = 16,
        calibration: Calibration | None = None,
        grouping=None,
        context_tokens: int | None = DEFAULT_CONTEXT_TOKENS,
        schema: Schema = DEFAULT_SCHEMA,
        outside_weight: float = 1.0,
        overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    ):
        self.tagger = model if isinstance(model, OnnxTagger) else TorchTagger(model)
        self.backend = self.tagger.backend
        self.model = getattr(self.tagger, "model", None)  # the torch model, for code that needs it
        self.tokenizer = tokenizer
        self.window_tokens = window_tokens
        self.stride_tokens = stride_tokens  # the training windows' overlap, which a plain sliding reader would use
        # How a paragraph is read (model.windows.plan_reading): the overlap of its windows, and how far past it they read.
        self.overlap_tokens = overlap_tokens
        self.context_tokens = context_tokens
        self.batch_size = batch_size
        # Span scores are calibrated probabilities where the model directory has a calibration.
        self.calibration = calibration
        # The learned incident grouping (model.grouping.PairScorer) where the directory has one.
        self.grouping = grouping
        self.tags = list(self.tagger.tags)
        # The labels this model tags, with their descriptions and colours (the app's legend, Label Studio's config).
        if list(schema.tags) != self.tags:
            raise ValueError(f"the model's tags ({', '.join(self.tags)}) are not the {schema.name} schema's; pass its schema")
        self.schema = schema
        # Below 1, decoding favours spans over O (more recall, less precision): the O probability is
        # multiplied by it before the Viterbi pass; span scores stay the model's probabilities.
        if not 0 < outside_weight <= 1:
            raise ValueError(f"outside_weight must be above 0 and at most 1, not {outside_weight}")
        self.outside_weight = outside_weight
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, path: str | Path | None = None, calibrated: bool = True, backend: str | None = None, threads: int | None = None, **overrides
    ) -> "Extractor":
        """Load a model directory written by ``eventslots train`` (or any HF token classifier).

        ``calibrated=False`` ignores the directory's calibration: scores are the raw mean tag probabilities.
        ``backend`` is ``"torch"``, ``"onnx"`` or ``"onnx-int8"`` (default: ``$EVENTSLOTS_BACKEND``, else
        the int8 graph where the model passed its gate, else the fp32 graph); the ONNX ones never import torch. ``threads`` caps the
        forward pass's threads (default: one per core), for processes that share a machine. ``overrides``
        set the constructor's other arguments, such as ``outside_weight=0.5`` (more spans, less precision).
        """
        path = Path(path) if path is not None else default_model_dir()
        backend = check_backend(backend) if backend else default_backend(path)
        require_model(path)
        schema = check_complete(path, weights=backend == "torch")
        settings = {}
        if (path / SETTINGS_FILE).exists():
            training = json.loads((path / SETTINGS_FILE).read_text(encoding="utf-8")).get("config", {})
            settings = {k: training[k] for k in ("window_tokens", "stride_tokens") if k in training}
        settings["calibration"] = Calibration.load(path) if calibrated else None
        settings["grouping"] = PairScorer.load(path)
        settings["schema"] = schema
        settings.update(overrides)
        if backend != "torch":
            tagger, tokenizer = load_onnx(path, backend, threads)
            return cls(tagger, tokenizer, **settings)
        if threads:
            import torch

            torch.set_num_threads(threads)
        return cls(*load_torch(path), **settings)

    def predict(self, text: str, min_score: float | None = None) -> list[Span]:
        return self.predict_batch([text], min_score)[0]

    def predict_batch(self, texts: Sequence[str], min_score: float | None = None) -> list[list[Span]]:
        """Spans for each text; windows of all texts share batches.

        Spans scoring below ``min_score`` are left out; ``None`` takes the
        threshold and trigger gate the calibration chose on real-dev (none for an
        uncalibrated model), ``0`` shows every span.
        """
        return [spans for spans, _ in self.read_batch(texts, min_score)]

    def read_batch(
        self, texts: Sequence[str], min_score: float | None = None, vectors: bool = False, gold: Sequence[Sequence[Span]] | None = None
    ) -> list[tuple[list[Span], np.ndarray | None]]:
        """(spans, span vectors) for each text. With ``vectors``, each span also gets the encoder's
        last-layer states averaged over its sub-words (one row per span), which the incident grouping
        reads. ``gold`` gives the spans to take vectors for instead of predicting them (for training)."""
        encoded, readings, probabilities, states = self._forward(texts, vectors)
        results = []
        for index, text in enumerate(texts):
            owners = readings[index][1]
            if gold is not None:
                spans = list(gold[index])
            else:
                token_probs = self._gather(encoded[index], owners, probabilities[index], len(self.tags))
                decoded, _ = self._decode(text, encoded[index], token_probs)
                spans = self.keep(self._calibrated(decoded), min_score)
            span_vectors = None
            if vectors:
                token_states = self._gather(encoded[index], owners, states[index], states[index][0].shape[-1] if states[index] else 1)
                span_vectors = _span_vectors(encoded[index], token_states, spans)
            results.append((spans, span_vectors))
        return results

    def _forward(self, texts: Sequence[str], states: bool):
        """Each text encoded, its reading plan (windows, and which window owns each sub-word), and the
        forward pass's outputs per window."""
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"predict expects str, got {type(text).__name__}")
        encoded = [encode_text(self.tokenizer, text) for text in texts]
        readings = [plan_reading(text, e, self.window_tokens, self.overlap_tokens, self.context_tokens) if e.ids else ([], []) for text, e in zip(texts, encoded)]
        probabilities, hidden = self._window_outputs(encoded, [plan for plan, _ in readings], states)
        return encoded, readings, probabilities, hidden

    def _window_outputs(self, encoded: list[EncodedText], plans: list[list[Window]], states: bool = False):
        """Per text, per window: tag probabilities, and (with ``states``) last-layer hidden states."""
        jobs = [(d, w) for d, plan in enumerate(plans) for w in range(len(plan))]
        inputs = {job: window_inputs(self.tokenizer, encoded[job[0]], plans[job[0]][job[1]]) for job in jobs}
        jobs.sort(key=lambda job: len(inputs[job]))
        out: list[list[np.ndarray]] = [[None] * len(plan) for plan in plans]  # type: ignore[list-item]
        hidden: list[list[np.ndarray]] = [[None] * len(plan) for plan in plans]  # type: ignore[list-item]
        pad = self.tokenizer.pad_token_id
        # A graph that reads one window per core (int8) gains nothing from small batches and loses at each
        # batch's end, where one core waits for the other's last window: hand it many windows at once.
        per_call = max(self.batch_size, WINDOWS_PER_CALL) if getattr(self.tagger, "one_window_at_a_time", False) else self.batch_size
        with self._lock:
            for i in range(0, len(jobs), per_call):
                chunk = jobs[i : i + per_call]
                width = max(len(inputs[job]) for job in chunk)
                ids = np.full((len(chunk), width), pad, dtype=np.int64)
                mask = np.zeros((len(chunk), width), dtype=np.int64)
                for row, job in enumerate(chunk):
                    sequence = inputs[job]
                    ids[row, : len(sequence)] = sequence
                    mask[row, : len(sequence)] = 1
                probs, last = self.tagger(ids, mask, states)
                for row, (d, w) in enumerate(chunk):
                    out[d][w] = probs[row, : len(inputs[(d, w)])]
                    if states:
                        hidden[d][w] = last[row, : len(inputs[(d, w)])]
        return out, hidden

    @staticmethod
    def _gather(encoded: EncodedText, owners: list[tuple[int, int]], per_window: list[np.ndarray], width: int) -> np.ndarray:
        """One row per sub-word of the text, taken from the window that owns it."""
        result = np.zeros((len(encoded.ids), width), dtype=np.float32)
        for token, (window, position) in enumerate(owners):
            result[token] = per_window[window][position]
        return result

    def keep(self, spans: Sequence[Span], min_score: float | None = None) -> list[Span]:
        """The spans ``predict(text, min_score)`` returns out of every span decoded (scores calibrated):
        those at ``min_score``, or with ``None`` the calibration's own threshold and trigger gate."""
        if self.calibration is not None:
            return self.calibration.select(list(spans), min_score)
        return [s for s in spans if s.score >= (min_score or 0.0)]

    def _calibrated(self, spans: list[Span]) -> list[Span]:
        if self.calibration is None:
            return spans
        return [replace(s, score=self.calibration(s.score)) for s in spans]

    def read_uncertainty(self, texts: Sequence[str]) -> list["Reading"]:
        """What active learning needs of each text: every span (``min_score=0``, calibrated scores where
        the model is calibrated), each word's tag-probability margin (best minus second best), and the
        mean of the encoder's last-layer states (a document vector, for diversity)."""
        encoded, readings, probabilities, states = self._forward(texts, states=True)
        results = []
        for index, text in enumerate(texts):
            owners = readings[index][1]
            token_probs = self._gather(encoded[index], owners, probabilities[index], len(self.tags))
            decoded, word_probs = self._decode(text, encoded[index], token_probs)
            spans = self._calibrated(decoded)
            top_two = np.sort(word_probs, axis=1)[:, -2:] if len(word_probs) else np.zeros((0, 2))
            width = states[index][0].shape[-1] if states[index] else 1
            token_states = self._gather(encoded[index], owners, states[index], width)
            vector = token_states.mean(axis=0) if len(token_states) else np.zeros(width, dtype=np.float32)
            results.append(Reading(spans, top_two[:, 1] - top_two[:, 0], vector))
        return results

    def _word_probs(self, words: list[tuple[int, int]], encoded: EncodedText, token_probs: np.ndarray) -> np.ndarray:
        """One row of tag probabilities per word (``model.tagging.word_tokens``)."""
        outside = np.zeros(len(self.tags), dtype=np.float32)
        outside[self.tags.index(OUTSIDE)] = 1.0
        word_probs = np.tile(outside, (len(words), 1))
        # Each word takes the probabilities of the first sub-word that starts inside it.
        token = 0
        offsets = encoded.offsets
        for w, (start, end) in enumerate(words):
            while token < len(offsets) and offsets[token][0] < start:
                token += 1
            if token < len(offsets) and offsets[token][0] < end:
                word_probs[w] = token_probs[token]
        return word_probs

    def _decode(self, text: str, encoded: EncodedText, token_probs: np.ndarray) -> tuple[list[Span], np.ndarray]:
        """Every span the constrained Viterbi pass decodes (raw scores), and the word probabilities it read."""
        words = word_tokens(text)
        word_probs = self._word_probs(words, encoded, token_probs)
        if not words:
            return [], word_probs
        weighted = word_probs
        if self.outside_weight != 1.0:
            weighted = word_probs.copy()
            weighted[:, self.tags.index(OUTSIDE)] *= self.outside_weight
        path = viterbi(weighted, self.tags)
        tags = [self.tags[i] for i in path]
        scores = [float(word_probs[w, i]) for w, i in enumerate(path)]
        return tags_to_spans(text, words, tags, scores), word_probs


def load_torch(path: Path):
    """The fine-tuned Hugging Face model and tokenizer of a model directory."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as error:  # transformers raises many kinds; each means the same to a user
        raise BrokenModelError(f"{path}: its tokenizer files cannot be read ({type(error).__name__}: {error})") from None
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # a broken file is reported below, in one line naming it
    try:
        model, info = AutoModelForTokenClassification.from_pretrained(path, output_loading_info=True)
    except Exception as error:
        raise BrokenModelError(f"{weights_file(path)}: the weights cannot be read ({type(error).__name__}: {error})") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    if info.get("missing_keys"):
        raise BrokenModelError(
            f"{weights_file(path)}: the weights lack {len(info['missing_keys'])} tensor(s), e.g. {sorted(info['missing_keys'])[0]}"
        )
    return model, tokenizer


def _span_vectors(encoded: EncodedText, token_states: np.ndarray, spans: Sequence[Span]) -> np.ndarray:
    """Each span's mean sub-word state (zeros for a span no sub-word falls in)."""
    vectors = np.zeros((len(spans), token_states.shape[1]), dtype=np.float32)
    starts = np.array([o[0] for o in encoded.offsets]) if encoded.offsets else np.zeros(0)
    ends = np.array([o[1] for o in encoded.offsets]) if encoded.offsets else np.zeros(0)
    for row, span in enumerate(spans):
        inside = (starts < span.end) & (ends > span.start)
        if inside.any():
            vectors[row] = token_states[inside].mean(axis=0)
    return vectors


@lru_cache(maxsize=4)
def _cached(path: str, backend: str) -> Extractor:
    return Extractor.load(path, backend=backend)


def default_extractor() -> Extractor:
    """The extractor for ``$EVENTSLOTS_MODEL`` (or the default model) and ``$EVENTSLOTS_BACKEND``, loaded once."""
    path = default_model_dir().resolve()
    return _cached(str(path), default_backend(path))


def predict(text: str, min_score: float | None = None) -> list[Span]:
    """Slot spans of ``text``, sorted by start, never overlapping. See ``Extractor``.

    ``score`` is the probability that the span is exactly right where the model
    is calibrated (``eventslots calibrate``); ``min_score`` hides spans below it
    (default: the threshold chosen on real-dev; 0 shows every span).
    """
    return default_extractor().predict(text, min_score)


def predict_batch(texts: Sequence[str], min_score: float | None = None) -> list[list[Span]]:
    return default_extractor().predict_batch(texts, min_score)
