"""The corpus wing: documents, their files and formats, validation, the real-article splits,
agreement and auxiliary data. It depends on ``eventslots.model`` and on span metrics, never on
the trainer, so the app and annotation tools can use it without loading a model.

- ``documents``: the ``Document`` record, JSON Lines files, ids and hashes
- ``validation``: the format and span-rule checks (``file:line`` problems)
- ``loading``: ``load_documents``, the corpus as training and evaluation read it
- ``formats``: Label Studio, doccano, CoNLL and markup import and export
- ``real``: the real-article corpus, its fixed splits and stand-off texts
- ``agreement``, ``makeup``: a second annotation scored against the first; what a corpus covers
- ``auxiliary``, ``wikievents``: partially labelled training data
"""

from .documents import (
    AGREEMENT_DIR,
    SOURCES,
    STANDOFF_SUFFIX,
    AnnotationError,
    Document,
    annotation_files,
    corpus_hash,
    drop_duplicates,
    dumps,
    read_records,
    text_key,
    write_new_file,
)
from .loading import load_documents

__all__ = [
    "AGREEMENT_DIR", "SOURCES", "STANDOFF_SUFFIX", "AnnotationError", "Document", "annotation_files", "corpus_hash",
    "drop_duplicates", "dumps", "load_documents", "read_records", "text_key", "write_new_file",
]
