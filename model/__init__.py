"""The slot schema, tagging, inference and ``predict()`` (installed as ``eventslots.model``).

The public API is re-exported by the top-level package: ``from eventslots import predict``.
"""
