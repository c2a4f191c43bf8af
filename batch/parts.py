"""Where a corpus run keeps its finished parts, and how they become one output file.

Beside the output ``OUT.parquet`` (or ``.jsonl``), the run keeps ``OUT.parquet.parts/``:
a manifest of what the run reads and with which model, then per finished part
its rejected documents and its rows, each written to a temporary name and
renamed, rows last. A part is finished exactly when its rows file exists, so a
kill at any moment loses at most the parts in flight and never leaves half a
row. When every part is there, the rows are streamed into the output (again
through a temporary name), the rejected documents into ``OUT.parquet.errors.jsonl``,
and the folder is removed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Iterable

from eventslots.model.incidents import ROW_FIELDS

MANIFEST = "manifest.json"


class PartStore:
    def __init__(self, output: Path):
        self.output = Path(output)
        self.folder = self.output.with_name(self.output.name + ".parts")
        self.errors = self.output.with_name(self.output.name + ".errors.jsonl")

    def open(self, manifest: dict, restart: bool = False) -> set[int]:
        """Start, or resume a run with the same manifest; the numbers of the parts already finished."""
        if restart and self.folder.exists():
            shutil.rmtree(self.folder)
        path = self.folder / MANIFEST
        if path.exists():
            before = json.loads(path.read_text(encoding="utf-8"))
            changed = sorted(k for k in set(before) | set(manifest) if before.get(k) != manifest.get(k))
            if changed:
                raise ValueError(
                    f"{self.folder}: holds a stopped run with other settings ({', '.join(f'{k}: {before.get(k)!r} then, {manifest.get(k)!r} now' for k in changed)}); "
                    "rerun with those settings to resume it, or with --restart to start over"
                )
            return self.finished()
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return set()

    def finished(self) -> set[int]:
        return {int(p.name[5:10]) for p in self.folder.glob("part-?????.jsonl")}

    def write(self, number: int, rows: Iterable[dict], rejected: Iterable[dict]) -> None:
        _write_atomically(self._rejected(number), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rejected))
        _write_atomically(self._rows(number), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))

    def finalise(self, parts: int, kind: str) -> tuple[int, int]:
        """Joins the parts into the output; (rows, rejected documents)."""
        missing = [n for n in range(parts) if not self._rows(n).exists()]
        if missing:
            raise RuntimeError(f"{self.folder}: parts {missing[:5]} are not finished")
        temporary = self.output.with_name(f".{self.output.name}.tmp")
        rows = _write_parquet(temporary, map(self._rows, range(parts))) if kind == "parquet" else _concatenate(temporary, map(self._rows, range(parts)))
        os.replace(temporary, self.output)
        rejected = _concatenate(self.errors.with_name(f".{self.errors.name}.tmp"), map(self._rejected, range(parts)))
        if rejected:
            os.replace(self.errors.with_name(f".{self.errors.name}.tmp"), self.errors)
        else:
            self.errors.with_name(f".{self.errors.name}.tmp").unlink()
            self.errors.unlink(missing_ok=True)  # a stale report of an earlier run would mislead
        shutil.rmtree(self.folder)
        return rows, rejected

    def _rows(self, number: int) -> Path:
        return self.folder / f"part-{number:05d}.jsonl"

    def _rejected(self, number: int) -> Path:
        return self.folder / f"rejected-{number:05d}.jsonl"


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def _concatenate(target: Path, sources: Iterable[Path]) -> int:
    lines = 0
    with target.open("w", encoding="utf-8") as out:
        for source in sources:
            with source.open(encoding="utf-8") as stream:
                for line in stream:
                    out.write(line)
                    lines += 1
    return lines


def row_schema():
    """The Parquet schema of the rows: an id, the spans, and the incident records as flat rows."""
    import pyarrow as pa

    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string()), ("score", pa.float64())])
    incident = pa.struct([("incident", pa.int64())] + [(name, pa.string()) for name in ROW_FIELDS if name != "incident"])
    return pa.schema([("id", pa.string()), ("spans", pa.list_(span)), ("incidents", pa.list_(incident))])


def _write_parquet(target: Path, sources: Iterable[Path]) -> int:
    """One row group per part: memory holds one part, never the corpus."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, rows = row_schema(), 0
    with pq.ParquetWriter(target, schema) as writer:
        for source in sources:
            with source.open(encoding="utf-8") as stream:
                batch = [json.loads(line) for line in stream]
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            rows += len(batch)
    return rows
