"""eventslots: tag attack-event slots in English news.

>>> from eventslots import predict
>>> predict("Two drones were shot down over the base on Sunday.")  # doctest: +SKIP
[Span(start=0, end=10, label='WEAPON', text='Two drones', score=0.98), ...]
>>> from eventslots import extract_incidents
>>> extract_incidents(article, published="2024-01-05")  # doctest: +SKIP
[Incident(id=1, spans=(...), time=TimeValue(iso='2024-01-04', ...), killed=Count(count=0, ...), ...), ...]

The repository's folders ``model/``, ``training/``, ``serve/`` and ``cli/`` are
installed as ``eventslots.model``, ``eventslots.training``, ``eventslots.serve``
and ``eventslots.cli`` (see ``pyproject.toml``). The public API below is loaded
on first use, so ``import eventslots`` (and ``eventslots --version``) does not
pay for torch.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("eventslots")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

_PUBLIC = {
    "predict": "eventslots.model.inference",
    "predict_batch": "eventslots.model.inference",
    "Extractor": "eventslots.model.inference",
    "ModelNotFoundError": "eventslots.model.inference",
    "Span": "eventslots.model.spans",
    "extract_incidents": "eventslots.model.incidents",
    "Incident": "eventslots.model.incidents",
    "LABELS": "eventslots.model.schema",
    "LABEL_NAMES": "eventslots.model.schema",
    "Schema": "eventslots.model.schema",
    "load_schema": "eventslots.model.schema",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'eventslots' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
