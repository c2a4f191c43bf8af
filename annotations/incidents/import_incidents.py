"""Fold the incident annotation passes into the corpus (run once per pass; see README.md here).

usage: python annotations/incidents/import_incidents.py PASSES_DIR

PASSES_DIR holds the annotators' files, written as INSTRUCTIONS.md says, named:

- ``seeds-events-first.jsonl``, ``authored-*-events.jsonl``: incident ids of
  the seeds and the authored texts (``{"id", "events"}``, one list per span in
  span order); written into their annotation files;
- ``values-*.jsonl``: the gold values of each incident of the seeds, real-dev and
  real-test (``{"id", "event", "time", "killed", ...}``); written into each
  document's ``meta.incidents``;
- ``second-*-events.jsonl``: the blind second grouping of the same spans; written
  as whole documents to ``annotations/agreement/incidents-second-pass/``
  (stand-off where the text may not be shipped).

A document's spans must be the ones the annotator saw (same count, same
order), or the script stops naming the document. WikiEvents VOA documents also
get ``meta.published``, the date in their id.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from pathlib import Path

from eventslots.model.spans import event_json
from eventslots.training.corpus import Document, load_documents
from eventslots.training.corpus.documents import dumps
from eventslots.training.corpus.real import PUBLIC_DOMAIN_WIKIEVENTS, to_standoff

ANNOTATIONS = Path(__file__).resolve().parent.parent
SECOND_PASS = ANNOTATIONS / "agreement" / "incidents-second-pass"
VALUE_KEYS = ("time", "killed", "injured", "intercepted", "damaged")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def events_of(passes: Path, pattern: str) -> dict[str, list[list[int]]]:
    found: dict[str, list[list[int]]] = {}
    for path in sorted(passes.glob(pattern)):
        for record in read_jsonl(path):
            found[record["id"]] = record["events"]
    return found


def values_of(passes: Path) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for path in sorted(passes.glob("values-*.jsonl")):
        for record in read_jsonl(path):
            found.setdefault(record["id"], []).append({"event": record["event"], **{k: record.get(k) for k in VALUE_KEYS}})
    return {i: sorted(v, key=lambda r: r["event"]) for i, v in found.items()}


def with_events(document: Document, events: list[list[int]]) -> Document:
    if len(events) != len(document.spans):
        sys.exit(f"{document.id}: the pass gives {len(events)} incident lists for {len(document.spans)} spans")
    return replace(document, spans=tuple(replace(s, event=tuple(sorted(set(e)))) for s, e in zip(document.spans, events)))


def published_of(document: Document) -> str | None:
    match = re.search(r"(\d{4})\.(\d\d)\.(\d\d)", document.id)
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match and PUBLIC_DOMAIN_WIKIEVENTS.search(document.id) else None


def rewrite(path: Path, documents: dict[str, Document]) -> int:
    """Replace the records of ``path`` whose id is in ``documents``, keeping every other line as it is."""
    standoff = path.name.endswith(".standoff.jsonl")
    lines, changed = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if record["id"] in documents:
                new = documents[record["id"]]
                line = json.dumps(to_standoff(new), ensure_ascii=False) if standoff else dumps(new)
                changed += 1
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def main(passes: Path) -> None:
    corpus = {d.id: d for d in load_documents()}
    first = {**events_of(passes, "seeds-events-first.jsonl"), **events_of(passes, "authored-*-events.jsonl")}
    values = values_of(passes)
    updated: dict[str, Document] = {}
    for doc_id, events in first.items():
        updated[doc_id] = with_events(corpus[doc_id], events)
    for doc_id, incidents in values.items():
        document = updated.get(doc_id, corpus[doc_id])
        known = {e for s in document.spans for e in s.event}
        unknown = [r["event"] for r in incidents if r["event"] not in known]
        if unknown:
            sys.exit(f"{doc_id}: values for incident(s) {unknown} that no span has")
        meta = {**document.meta, "incidents": incidents}
        updated[doc_id] = replace(document, meta=meta)
    for doc_id, document in list(updated.items()) + [(d.id, d) for d in corpus.values() if d.id not in updated]:
        published = published_of(document)
        if published and document.meta.get("published") != published:
            updated[doc_id] = replace(document, meta={**document.meta, "published": published})
    files = sorted(p for p in ANNOTATIONS.rglob("*.jsonl") if "agreement" not in p.parts)
    total = sum(rewrite(path, updated) for path in files)
    print(f"updated {total} record(s) of {len(updated)} document(s)")

    second = {**events_of(passes, "second-*-events.jsonl")}
    if second:
        SECOND_PASS.mkdir(parents=True, exist_ok=True)
        # The second pass grouped the spans only: the first pass's values are not part of it.
        documents = [replace(with_events(corpus[i], e), meta={k: v for k, v in corpus[i].meta.items() if k != "incidents"})
                     for i, e in sorted(second.items())]
        shipped = [d for d in documents if not _standoff(d)]
        kept = [d for d in documents if _standoff(d)]
        (SECOND_PASS / "second-pass.jsonl").write_text("".join(dumps(d) + "\n" for d in shipped), encoding="utf-8")
        (SECOND_PASS / "second-pass.standoff.jsonl").write_text(
            "".join(json.dumps(to_standoff(d), ensure_ascii=False) + "\n" for d in kept), encoding="utf-8")
        print(f"second pass: {len(shipped)} document(s) in full, {len(kept)} stand-off")


def _standoff(document: Document) -> bool:
    """A WikiEvents text that is not VOA's may not be shipped."""
    return document.meta.get("origin", {}).get("corpus", "").startswith("wikievents") and not PUBLIC_DOMAIN_WIKIEVENTS.search(document.id)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
