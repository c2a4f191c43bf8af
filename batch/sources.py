"""The documents of a corpus: JSON Lines, Parquet or a folder of text files, read in parts.

A corpus is cut into parts of a fixed number of documents, in input order. A
part is the unit of work of both engines and of resuming: it is read, tagged
and written as one file, so a killed run starts again at the first part it had
not finished. ``plan_parts`` makes one cheap pass over the input (counting
lines, reading Parquet metadata, listing files); ``read_part`` then reads one
part anywhere the input is readable (this process, or a Ray worker).

Bad documents (empty, not text, too large, no id) come back as ``Rejected``
with where they are, so a run reports them and goes on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from eventslots.model.normalise import as_date

FORMATS = ("jsonl", "parquet", "text")
OUTPUT_FORMATS = ("jsonl", "parquet")
# A document longer than this is reported, not read: a book or a log dump, not an article
# (the longest seed is 9,000 characters; a million reads for about 20 minutes on one core).
MAX_CHARS = 200_000
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    published: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A document that was skipped: ``where`` is "line 12", "row 12" or a file name."""

    id: str | None
    where: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Part:
    """Documents ``first`` to ``first + count - 1`` of the input. ``start`` finds them fast:
    (byte offset, line number) in JSON Lines, nothing in Parquet, the file names of a folder."""

    number: int
    first: int
    count: int
    start: tuple = ()


def input_format(path: Path) -> str:
    if path.is_dir():
        return "text"
    if not path.exists():
        raise ValueError(f"{path}: no such file or folder")
    if path.suffix.lower() in JSONL_SUFFIXES:
        return "jsonl"
    if path.suffix.lower() == ".parquet":
        return "parquet"
    raise ValueError(f"{path}: not a corpus; give a .jsonl or .parquet file, or a folder of .txt files")


def output_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".parquet":
        return "parquet"
    raise ValueError(f"{path}: the output must end in .jsonl or .parquet")


def plan_parts(path: Path, size: int) -> list[Part]:
    """The parts of the corpus at ``path``, ``size`` documents each (the last may hold fewer)."""
    kind = input_format(path)
    if kind == "jsonl":
        return _jsonl_parts(path, size)
    if kind == "parquet":
        rows = _parquet_file(path).metadata.num_rows
        return [Part(n, first, min(size, rows - first)) for n, first in enumerate(range(0, rows, size))]
    names = _text_files(path)
    return [Part(n, first, len(names[first : first + size]), tuple(names[first : first + size])) for n, first in enumerate(range(0, len(names), size))]


def read_part(path: Path, part: Part) -> Iterator[Document | Rejected]:
    kind = input_format(path)
    if kind == "jsonl":
        return _read_jsonl(path, part)
    if kind == "parquet":
        return _read_parquet(path, part)
    return (_text_document(path, name) for name in part.start)


def check_document(identifier, text, published, where: str) -> Document | Rejected:
    """The document, or why it cannot be read."""
    if identifier is None or (isinstance(identifier, str) and not identifier.strip()):
        return Rejected(None, where, "no id")
    if not isinstance(identifier, (str, int)) or isinstance(identifier, bool):
        return Rejected(None, where, f"the id is a {type(identifier).__name__}, not text or a number")
    identifier = str(identifier)
    if text is None:
        return Rejected(identifier, where, "no text")
    if not isinstance(text, str):
        return Rejected(identifier, where, f"not text (the text is a {type(text).__name__})")
    if "\x00" in text:
        return Rejected(identifier, where, "not text (it holds NUL bytes)")
    if not text.strip():
        return Rejected(identifier, where, "empty")
    if len(text) > MAX_CHARS:
        return Rejected(identifier, where, f"too large ({len(text):,} characters; the limit is {MAX_CHARS:,})")
    if published is not None:
        try:
            as_date(published)
        except ValueError as error:
            return Rejected(identifier, where, str(error))
        published = str(published)
    return Document(identifier, text, published)


def _jsonl_parts(path: Path, size: int) -> list[Part]:
    parts, first, documents = [], 0, 0
    with path.open("rb") as stream:
        offset, line = 0, 0
        start = (0, 1)
        for raw in stream:
            line += 1
            if raw.strip():
                if documents and documents % size == 0:
                    parts.append(Part(len(parts), first, documents - first, start))
                    first = documents
                    start = (offset, line)
                documents += 1
            offset += len(raw)
    if documents:
        parts.append(Part(len(parts), first, documents - first, start))
    return parts


def _read_jsonl(path: Path, part: Part) -> Iterator[Document | Rejected]:
    offset, line = part.start
    seen = 0
    with path.open("rb") as stream:
        stream.seek(offset)
        for raw in stream:
            if seen == part.count:
                return
            where = f"line {line}"
            line += 1
            if not raw.strip():
                continue
            seen += 1
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield Rejected(None, where, "not UTF-8 text")
                continue
            except json.JSONDecodeError as error:
                yield Rejected(None, where, f"not JSON ({error.msg} at column {error.colno})")
                continue
            if not isinstance(record, dict):
                yield Rejected(None, where, f"not a JSON object (a {type(record).__name__})")
                continue
            yield check_document(record.get("id"), record.get("text"), record.get("published"), where)


def _parquet_file(path: Path):
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several kinds; each means the file is unusable
        raise ValueError(f"{path}: not a readable Parquet file ({error})") from None
    names = set(table.schema_arrow.names)
    missing = [column for column in ("id", "text") if column not in names]
    if missing:
        raise ValueError(f"{path}: has no {' or '.join(missing)} column (it has {', '.join(sorted(names))})")
    return table


def _read_parquet(path: Path, part: Part) -> Iterator[Document | Rejected]:
    table = _parquet_file(path)
    columns = [c for c in ("id", "text", "published") if c in table.schema_arrow.names]
    # Only the row groups that hold the part are read, a batch at a time.
    groups, first_row, row = [], None, 0
    for group in range(table.num_row_groups):
        rows = table.metadata.row_group(group).num_rows
        if row + rows > part.first and row < part.first + part.count:
            groups.append(group)
            first_row = row if first_row is None else first_row
        row += rows
    position = first_row or 0
    for batch in table.iter_batches(batch_size=256, row_groups=groups, columns=columns):
        for record in batch.to_pylist():
            if part.first <= position < part.first + part.count:
                published = record.get("published")
                published = published.isoformat() if hasattr(published, "isoformat") else published
                yield check_document(record.get("id"), record.get("text"), published, f"row {position + 1}")
            position += 1


def _text_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.txt") if p.is_file())


def _text_document(folder: Path, name: str) -> Document | Rejected:
    path = folder / name
    try:
        size = path.stat().st_size
        if size > 4 * MAX_CHARS:  # a UTF-8 character is at most four bytes
            return Rejected(name, name, f"too large ({size:,} bytes; the limit is {MAX_CHARS:,} characters)")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        return Rejected(name, name, f"not UTF-8 text (byte {error.start} is 0x{error.object[error.start]:02x})")
    except OSError as error:
        return Rejected(name, name, f"cannot be read ({error.strerror})")
    return check_document(name, text, None, name)
