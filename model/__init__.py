"""eventslots' model: the slot schema, tagging, and ``predict()``.

>>> from model import predict
>>> predict("Two drones were shot down over the base on Sunday.")  # doctest: +SKIP
[Span(start=0, end=10, label='WEAPON', text='Two drones', score=0.98), ...]
"""

from .inference import Extractor, ModelNotFoundError, predict, predict_batch
from .schema import LABEL_NAMES, LABELS
from .spans import Span

__all__ = ["Extractor", "ModelNotFoundError", "predict", "predict_batch", "Span", "LABELS", "LABEL_NAMES"]
