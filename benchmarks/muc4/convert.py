"""MUC-4 (GRIT's role-filler split) as span records for eventslots, and span predictions back to GRIT's fillers.

**Records.** Each ``grit_ree/{train,dev,test}.json`` document becomes one record of the project's
annotation format (``training.corpus.documents``)::

    {"id": docid, "source": "user", "text": doctext,
     "spans": [{"start", "end", "label", "text"}, ...], "meta": {"corpus": "muc4-grit", "split": ...}}

with the labels ``PerpInd``, ``PerpOrg``, ``Target``, ``Victim`` and ``Weapon`` of the MUC-4 schema
file beside this one (``schema.json``), which training and validation read them through: MUC-4's
fillers keep their determiners, so that schema turns the project guideline's span style off.
The source is ``user``, a user's own corpus, which ``eventslots train``'s default sources take.

**Projection to every occurrence.** The data gives each filler mention with one offset, its
string's first occurrence (``doctext.find``). A tagger trained on first occurrences only would be
taught that later occurrences of the same string are *not* fillers, so every mention is projected
onto every occurrence of its string that sits at word boundaries: no word character right before
or after (``(?<!\\w)`` and ``(?!\\w)`` rather than ``\\b``, which fails next to a quote or a
parenthesis). "army" does not match inside "armys" or "harmy". Some first offsets lie inside a
word ("gas station" in "gas stations", "men" in "government"); such a mention keeps only its
word-bounded occurrences, and is lost when it has none (counted in the stats).

**Overlaps** (spans never overlap in the project's format) are resolved greedily, longest span
first: a span is kept unless it overlaps one already kept. Among spans of equal length the
earlier start goes first; between identical offsets with two roles (the gold gives one string to
two roles, mostly PerpInd and PerpOrg, see ``docids_overlap_ind_org.json``; Target and Victim on
the test split) the role earlier in :data:`ROLE_PRIORITY` keeps the span. That order puts PerpOrg
before PerpInd because the strings filling both are nearly all organisation names ("fpmr", "the
extraditables", "fmln general command"); the rest follows the scorer's role order. Every dropped
span is counted under its reason.

**Back to fillers.** GRIT and the papers after it score document-level role-filler entities with
CEAF-REE (``scorer.ceaf_ree``). :func:`to_fillers` turns predicted spans into entities, one per role
and distinct normalised mention string (the scorer's ``normalize_mention``), its one mention being
the string's first occurrence as it stands in the lower-cased text. No attempt is made to put
different strings ("fmln", "farabundo marti national liberation front") into one entity: nothing
at prediction time says which belong together, and GRIT itself emits one mention per entity: in
its published test output (``reference_predictions/preds_s_t.out``) 0 of its 377 predicted
entities have more than one mention (against 200 of the 511 gold entities). The price is in
precision: every further string of a gold entity becomes an entity of its own that matches
nothing, which :func:`oracle` measures on the gold spans themselves.

Run from the repository root::

    python benchmarks/muc4/convert.py --split test --stats
    python benchmarks/muc4/convert.py --split train --output muc4-train.jsonl
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple


def _load_scorer():
    if __package__:  # python -m benchmarks.muc4.convert
        from . import scorer

        return scorer
    # Run as a script or loaded by path (benchmarks/ is not an installed package): scorer.py is beside this file.
    spec = importlib.util.spec_from_file_location("muc4_scorer", Path(__file__).with_name("scorer.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scorer = _load_scorer()

ROLES = scorer.ROLES
CORPUS = "muc4-grit"
# Which role keeps a span that the gold gives to two roles at the same offsets: the first listed.
ROLE_PRIORITY = ("PerpOrg", "PerpInd", "Target", "Victim", "Weapon")

SAME_SPAN = "same span, other role"
INSIDE = "inside a longer span"
CROSSING = "crosses a longer or earlier span"

# GRIT's decoder ends each role's mentions with this token; its output files keep the sequence.
GRIT_SEPARATOR = "[SEP]"


class Candidate(NamedTuple):
    start: int
    end: int
    label: str


Predictions = dict[str, dict[str, list[list[str]]]]


def read_grit(path: str | Path) -> list[dict]:
    """The documents of a ``grit_ree/*.json`` file (JSON Lines), in file order."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def occurrences(text: str, mention: str) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of ``mention`` with no word character right before or after it."""
    pattern = re.compile(r"(?<!\w)" + re.escape(mention) + r"(?!\w)")
    return [match.span() for match in pattern.finditer(text)]


def resolve_overlaps(candidates: Iterable[Candidate]) -> tuple[list[Candidate], Counter]:
    """Non-overlapping spans, longest first (then earlier start, then :data:`ROLE_PRIORITY`), and
    the number dropped per reason; a repeated (start, end, label) counts once."""
    order = sorted(set(candidates), key=lambda c: (c.start - c.end, c.start, ROLE_PRIORITY.index(c.label)))
    kept: list[Candidate] = []
    dropped: Counter = Counter()
    for candidate in order:
        blocker = next((k for k in kept if k.start < candidate.end and candidate.start < k.end), None)
        if blocker is None:
            kept.append(candidate)
        elif (blocker.start, blocker.end) == (candidate.start, candidate.end):
            dropped[SAME_SPAN] += 1
        elif blocker.start <= candidate.start and candidate.end <= blocker.end:
            dropped[INSIDE] += 1
        else:
            dropped[CROSSING] += 1
    return sorted(kept), dropped


def _gold_mentions(document: dict) -> Iterable[tuple[str, str, int]]:
    """(role, mention, first offset) for every gold mention of a grit_ree document."""
    for role in ROLES:
        for entity in document["extracts"].get(role, []):
            for mention, offset in entity:
                yield role, mention, offset


def _entities_lost(document: dict, kept: Sequence[Candidate]) -> int:
    """Gold entities none of whose mention strings is left as a span of the entity's role."""
    text = document["doctext"]
    kept_strings = {(c.label, text[c.start : c.end]) for c in kept}
    return sum(
        not any((role, mention) in kept_strings for mention, _ in entity)
        for role in ROLES
        for entity in document["extracts"].get(role, [])
        if entity
    )


def _side_stats() -> dict:
    return {"candidates": 0, "spans": 0, "dropped": Counter(), "entities_lost": 0}


def _add_side(stats: dict, candidates: set[Candidate], kept: list[Candidate], dropped: Counter, lost: int) -> None:
    stats["candidates"] += len(candidates)
    stats["spans"] += len(kept)
    stats["dropped"].update(dropped)
    stats["entities_lost"] += lost


def to_documents(path: str | Path, *, all_occurrences: bool = True) -> tuple[list[dict], dict]:
    """The records of one grit_ree file (split named by the file: ``test.json`` -> ``"test"``), and stats.

    The records' spans are projected onto all word-bounded occurrences (``all_occurrences=False``:
    the given first offsets only, as they are). The stats cover both ways, whichever is returned:
    ``documents``, ``documents_without_fillers``, ``gold_entities``, ``gold_mentions`` (mention and
    offset pairs), ``first_offsets_inside_a_word``, ``mentions_not_found`` (no word-bounded
    occurrence at all), and for ``first_occurrences`` and ``all_occurrences`` each: ``candidates``
    (distinct start, end, label), ``spans`` kept, ``dropped`` per reason and ``entities_lost`` (gold
    entities left with no span of their role carrying one of their strings).
    """
    split = Path(path).stem
    stats: dict = {
        "split": split,
        "documents": 0,
        "documents_without_fillers": 0,
        "gold_entities": 0,
        "gold_mentions": 0,
        "first_offsets_inside_a_word": 0,
        "mentions_not_found": 0,
        "first_occurrences": _side_stats(),
        "all_occurrences": _side_stats(),
    }
    records = []
    for document in read_grit(path):
        text = document["doctext"]
        first: set[Candidate] = set()
        every: set[Candidate] = set()
        for role, mention, offset in _gold_mentions(document):
            stats["gold_mentions"] += 1
            first.add(Candidate(offset, offset + len(mention), role))
            found = occurrences(text, mention)
            stats["first_offsets_inside_a_word"] += (offset, offset + len(mention)) not in found
            stats["mentions_not_found"] += not found
            every.update(Candidate(start, end, role) for start, end in found)

        stats["documents"] += 1
        stats["documents_without_fillers"] += not first
        stats["gold_entities"] += sum(bool(entity) for role in ROLES for entity in document["extracts"].get(role, []))
        kept_by_way = {}
        for way, candidates in (("first_occurrences", first), ("all_occurrences", every)):
            kept, dropped = resolve_overlaps(candidates)
            _add_side(stats[way], candidates, kept, dropped, _entities_lost(document, kept))
            kept_by_way[way] = kept
        spans = kept_by_way["all_occurrences" if all_occurrences else "first_occurrences"]

        records.append(
            {
                "id": document["docid"],
                "source": "user",
                "text": text,
                "spans": [{"start": s.start, "end": s.end, "label": s.label, "text": text[s.start : s.end]} for s in spans],
                "meta": {"corpus": CORPUS, "split": split},
            }
        )
    for way in ("first_occurrences", "all_occurrences"):
        stats[way]["dropped"] = dict(sorted(stats[way]["dropped"].items()))
    return records, stats


def _span_fields(span) -> tuple[int, int, str]:
    """(start, end, label) of a (start, end, label, text) tuple or of an ``eventslots`` Span."""
    if isinstance(span, Sequence):
        return span[0], span[1], span[2]
    return span.start, span.end, span.label


CONTAINED = ("keep", "longest", "shortest")


def _inside(short: str, long: str) -> bool:
    """Whether the words of ``short`` run, in order, inside the longer ``long`` ("guerrillas" in "fmln guerrillas")."""
    inner, outer = short.split(), long.split()
    return len(inner) < len(outer) and any(outer[i : i + len(inner)] == inner for i in range(len(outer) - len(inner) + 1))


def to_fillers(spans_by_doc: Mapping[str, Iterable], documents: Sequence[Mapping], contained: str = "keep") -> Predictions:
    """Predicted spans -> GRIT's role-filler entities, ``{docid_key: {role: [[mention], ...]}}``.

    ``spans_by_doc`` maps a docid (``"TST3-MUC4-0001"`` or its key ``"30001"``) to its spans, each
    ``(start, end, label, text)`` or a Span; ``documents`` are the records (``id``, ``text``), and
    each gets an entry, empty where it has no spans (GRIT's scorer wants every document). Per role,
    one entity per distinct normalised mention, in order of first occurrence; its one mention is
    that occurrence's text, taken from the document (lower-cased, as the gold is). Labels outside
    the five roles are ignored.

    ``contained`` decides what happens where one string of a role lies inside another (word-wise,
    after normalisation): ``"keep"`` both, or keep only the ``"longest"`` or the ``"shortest"``. The
    gold often gives both ("guerrillas", "fmln guerrillas") as mentions of one entity, so as two
    predicted entities one of them matches nothing: on dev's gold spans, "longest" lifts the oracle
    CEAF-REE from 86.50 to 90.06.
    """
    if contained not in CONTAINED:
        raise ValueError(f"contained must be one of {', '.join(CONTAINED)}, not {contained!r}")
    texts = {scorer.docid_key(document["id"]): document["text"] for document in documents}
    unknown = sorted(docid for docid in spans_by_doc if scorer.docid_key(docid) not in texts)
    if unknown:
        raise ValueError(f"spans for documents not given: {', '.join(unknown[:5])}")
    spans_by_key = {scorer.docid_key(docid): spans for docid, spans in spans_by_doc.items()}

    predictions: Predictions = {}
    for key, text in texts.items():
        entities: dict[str, dict[str, list[str]]] = {role: {} for role in ROLES}  # role -> normalised -> entity
        for start, end, label in sorted(_span_fields(span) for span in spans_by_key.get(key, ())):
            if label in entities:
                mention = text[start:end]
                entities[label].setdefault(scorer.normalize_mention(mention), [mention])
        predictions[key] = {role: _collapse(by_string, contained) for role, by_string in entities.items()}
    return predictions


def _collapse(by_string: dict[str, list[str]], contained: str) -> list[list[str]]:
    strings = list(by_string)
    if contained == "longest":
        strings = [s for s in strings if not any(_inside(s, other) for other in strings)]
    elif contained == "shortest":
        strings = [s for s in strings if not any(_inside(other, s) for other in strings)]
    return [by_string[s] for s in strings]


def write_grit_predictions(predictions: Mapping[str, Mapping[str, Sequence[Sequence[str]]]],
                           path: str | Path, gold_path: str | Path) -> Path:
    """Write predictions as GRIT's output file (``preds_s_t.out``), which GRIT's own ``eval.py`` reads.

    One JSON object keyed by :func:`scorer.docid_key` (``"30001"``), one entry per document of
    ``gold_path`` in its order, each with GRIT's four keys: ``doctext`` (the data's lower-cased text;
    GRIT's holds its word pieces), ``pred_seq`` (each role's mentions followed by ``[SEP]``, the form
    of GRIT's decoder output), ``pred_extracts`` (every role, ``[[mention, ...], ...]``; documents
    missing from ``predictions`` predict nothing) and ``gold_extracts`` (normalised, exactly as GRIT
    writes them). Refuses to overwrite an existing file.
    """
    predictions = {scorer.docid_key(docid): extracts for docid, extracts in predictions.items()}
    gold = scorer.load_grit_gold(gold_path)
    out = {}
    for document in read_grit(gold_path):
        key = scorer.docid_key(document["docid"])
        extracts = {role: [list(entity) for entity in predictions.get(key, {}).get(role, [])] for role in ROLES}
        sequence = [token for role in ROLES for token in (*(m for e in extracts[role] for m in e), GRIT_SEPARATOR)]
        out[key] = {
            "doctext": document["doctext"],
            "pred_seq": " ".join(sequence),
            "pred_extracts": extracts,
            "gold_extracts": {role: [[scorer.normalize_mention(m) for m in entity] for entity in gold[key].get(role, [])]
                              for role in ROLES},
        }
    with open(path, "x", encoding="utf-8") as handle:  # "x": never overwrite
        json.dump(out, handle, ensure_ascii=False)
    return Path(path)


def write_records(records: Iterable[dict], path: str | Path) -> Path:
    """Write records as JSON Lines to a file that must not exist yet."""
    with open(path, "x", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return Path(path)


def oracle(path: str | Path) -> dict:
    """CEAF-REE of the gold itself once it has gone through spans: the gold converted (all
    occurrences), mapped back with :func:`to_fillers`, and scored against the gold. The ceiling a
    span tagger can reach through this conversion (``scorer.ceaf_ree``'s result)."""
    records, _ = to_documents(path)
    spans = {record["id"]: [(s["start"], s["end"], s["label"], s["text"]) for s in record["spans"]] for record in records}
    return scorer.ceaf_ree(to_fillers(spans, records), scorer.load_grit_gold(path))


def default_data_dir() -> Path | None:
    from eventslots.model.paths import shared_data_dir

    root = shared_data_dir()
    return root / "muc4" / "grit_ree" if root else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("train", "dev", "test"), default="test")
    parser.add_argument("--data", type=Path, help="the grit_ree folder (default: <shared data>/muc4/grit_ree)")
    parser.add_argument("--stats", action="store_true", help="print the conversion's stats and the oracle CEAF-REE")
    parser.add_argument("--output", type=Path, metavar="FILE.jsonl", help="write the records here (never overwritten)")
    args = parser.parse_args(argv)
    if not (args.stats or args.output):
        parser.error("nothing to do: give --stats and/or --output")
    data = args.data or default_data_dir()
    if data is None:
        parser.error("no shared data folder found; give --data")
    path = data / f"{args.split}.json"

    records, stats = to_documents(path)
    if args.output:
        try:
            write_records(records, args.output)
        except FileExistsError:
            parser.error(f"{args.output} already exists; choose another name")
        print(f"wrote {len(records)} records to {args.output}", file=sys.stderr)
    if args.stats:
        print(json.dumps(stats, indent=2))
        print(f"Oracle CEAF-REE ({args.split}, gold spans mapped back to fillers):")
        print(scorer.format_scores(oracle(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
