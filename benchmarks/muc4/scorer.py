"""MUC-4 scorers of Du, Rush & Cardie (2021), re-implemented to reproduce their published numbers.

Two metrics, both over the five MUC-4 span roles PerpInd, PerpOrg, Target, Victim and Weapon:

**CEAF-REE** (GRIT: Du, Rush & Cardie, "GRIT: Generative Role-filler Transformers for
Document-level Event Entity Extraction", EACL 2021). Document-level role-filler entity
extraction, no templates. For each document and role the predicted entities are aligned
one-to-one with the gold entities so that the number of aligned pairs that *match* is as
large as possible (CEAF's optimal alignment; with 0/1 similarities this is a maximum
bipartite matching). A predicted entity matches a gold entity when **every** mention of the
predicted entity equals (after normalisation) some mention of the gold entity, i.e. the
predicted entity is a subset of the gold coreference cluster (the paper's phi_strict; one
correct mention is enough, a single wrong mention spoils the entity). The matched count is
both the precision numerator (over the number of predicted entities) and the recall numerator
(over the number of gold entities). Counts are summed over documents per role; the micro
average sums them over the five roles. GRIT's published test-set output scores
P 64.19 / R 47.36 / F1 54.50.

**Template scores** (GTT: Du, Rush & Cardie, "Template Filling with Generative Transformers",
NAACL 2021). Each document has a list of templates; a template is an ``incident_type`` plus the
five roles, each a list of entities. Within a document every one-to-one (partial) assignment of
predicted templates to gold templates is tried and the one with the best document micro F1 is
kept (the first one found, in the enumeration order below, on a tie). A predicted template is
*paired* with its assigned gold template only if its incident type is a substring of the gold's
(so ``"attack"`` pairs with ``"attack / bombing"``). A paired template scores its incident type
as correct (1/1 for precision and recall) and, per role, counts each predicted entity correct if
it matches (as above) *any* gold entity of the paired template, and each gold entity recalled if
*any* predicted entity matches it; this is not one-to-one. Unpaired templates add only to the
denominators (their incident type and all their entities). The micro average sums counts over
incident_type and the five roles. GTT's published test-set output scores P 61.69 / R 42.36 /
F1 50.23.

**Normalisation** (both metrics, mentions only, never incident types): lower-case; delete every
ASCII punctuation character (``string.punctuation``); replace the whole words ``a``, ``an`` and
``the`` by a space; collapse whitespace runs and strip. Mentions are then compared by string
equality. Character offsets in the data are ignored.

**Input quirks kept for fidelity**: gold entities with no mentions are dropped by the loaders; a
predicted entity with no mentions matches every gold entity (the subset test is vacuously true);
a predicted template whose incident type is not a string is treated as ``"attack"``; identical
gold templates in a document are kept once (compared before normalisation). A document missing
from the predictions counts as predicting nothing (the original scripts would raise instead).
Only documents in the gold data are scored.

Reference code read (MIT licence, © 2020/2021 xinyadu), not copied: ``eval.py`` at the root of
github.com/xinyadu/grit_doc_event_entity (commit 7fdd0085e9b206b17f66dd91249e993ff46f8b85) and
``eval.py`` at the root of github.com/xinyadu/gtt (commits 9ff79208… and db72d0f4…, identical
algorithm).

Run from the repository root (``benchmarks`` is not an installed package)::

    python benchmarks/muc4/scorer.py --grit preds_s_t.out --gold grit_ree/test.json
    python benchmarks/muc4/scorer.py --gtt preds_gtt.out --gold gtt_templates/test.json

``python -m benchmarks.muc4.scorer ...`` works too, from the repository root.
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROLES = ("PerpInd", "PerpOrg", "Target", "Victim", "Weapon")
INCIDENT = "incident_type"
TEMPLATE_SLOTS = (INCIDENT, *ROLES)
MICRO = "micro_avg"

# The fallback type the GTT scorer gives a predicted template without a string incident type.
DEFAULT_INCIDENT = "attack"

Entity = list[str]
Extracts = dict[str, list[Entity]]
Template = dict  # {"incident_type": str, role: [entity, ...], ...}

_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def normalize_mention(text: str) -> str:
    """SQuAD-style normalisation, in the scorers' order: lower, drop punctuation, drop articles, squash spaces.

    The order matters: punctuation goes before articles, so ``"the-bomb"`` becomes ``"thebomb"``
    (no article left), while ``"the bomb"`` becomes ``"bomb"``.
    """
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def docid_key(docid: str) -> str:
    """The key both prediction files use for a document.

    ``"TST3-MUC4-0001"`` -> ``"30001"``: the digit ending the first dash-separated field, times
    10000, plus the number in the last field (so ``"TST4-MUC4-0100"`` -> ``"40100"`` and
    ``"TST1-MUC3-0001"`` -> ``"10001"``). Ids not of that shape (``"DEV-MUC3-0001"``) and ids already
    in key form (``"30001"``) are returned unchanged.
    """
    parts = docid.split("-")
    if len(parts) >= 2 and parts[0][-1:].isdigit() and parts[-1].isdigit():
        return str(int(parts[0][-1]) * 10000 + int(parts[-1]))
    return docid


# --------------------------------------------------------------------------- counting


def _empty_counts() -> dict:
    return {"p_num": 0, "p_den": 0, "r_num": 0, "r_den": 0}


def _f1(p_num: int, p_den: int, r_num: int, r_den: int) -> float:
    # Same float expression, in the same order, as the reference: template alignment compares these
    # floats with ">", so a differently rounded but equal value could pick a different mapping.
    p = 0 if p_den == 0 else p_num / p_den
    r = 0 if r_den == 0 else r_num / r_den
    return 0 if p + r == 0 else 2 * p * r / (p + r)


def _with_rates(counts: dict) -> dict:
    out = dict(counts)
    out["p"] = 0.0 if counts["p_num"] == 0 else counts["p_num"] / counts["p_den"]
    out["r"] = 0.0 if counts["r_num"] == 0 else counts["r_num"] / counts["r_den"]
    out["f1"] = float(_f1(counts["p_num"], counts["p_den"], counts["r_num"], counts["r_den"]))
    return out


def _report(per_slot: dict[str, dict], slots: Sequence[str]) -> dict:
    """Per-slot counts plus rates, and the micro average (counts summed over ``slots``)."""
    micro = _empty_counts()
    for slot in slots:
        for name in micro:
            micro[name] += per_slot[slot][name]
    result = {slot: _with_rates(per_slot[slot]) for slot in slots}
    result[MICRO] = _with_rates(micro)
    return result


def _is_match(gold_entity: Sequence[str], pred_entity: Sequence[str]) -> bool:
    """A predicted entity is right when all its (normalised) mentions belong to the gold entity."""
    return all(mention in gold_entity for mention in pred_entity)


def _normalise_entities(entities: Sequence[Sequence[str]]) -> list[list[str]]:
    return [[normalize_mention(m) for m in entity] for entity in entities]


# --------------------------------------------------------------------------- CEAF-REE


def _max_matching(adjacent: Sequence[Sequence[int]], n_right: int) -> int:
    """Size of a maximum bipartite matching (Kuhn's augmenting paths).

    CEAF maximises the summed similarity of a one-to-one alignment; with phi_strict every
    similarity is 0 or 1, so that maximum is exactly the maximum matching size, whichever optimal
    alignment the reference's Hungarian solver happens to return.
    """
    owner = [-1] * n_right  # owner[right] = left node matched to it

    def augment(left: int, visited: list[bool]) -> bool:
        for right in adjacent[left]:
            if visited[right]:
                continue
            visited[right] = True
            if owner[right] == -1 or augment(owner[right], visited):
                owner[right] = left
                return True
        return False

    return sum(augment(left, [False] * n_right) for left in range(len(adjacent)))


def ceaf_ree(predictions: Mapping[str, Mapping[str, Sequence[Sequence[str]]]],
             gold: Mapping[str, Mapping[str, Sequence[Sequence[str]]]]) -> dict:
    """CEAF-REE with phi_strict (GRIT's reported metric).

    ``predictions`` and ``gold`` map docid -> role -> entities, each entity a list of mention strings
    (use the same docid form in both, e.g. via :func:`docid_key`). Only gold documents are scored.

    Returns ``{role: {...}, ..., "micro_avg": {...}}`` where each entry holds the counts ``p_num``,
    ``p_den``, ``r_num``, ``r_den`` and the fractions ``p``, ``r``, ``f1`` (0-1).
    """
    per_role = {role: _empty_counts() for role in ROLES}
    for docid, gold_doc in gold.items():
        pred_doc = predictions.get(docid) or {}
        for role in ROLES:
            gold_entities = _normalise_entities(gold_doc.get(role, []))
            pred_entities = _normalise_entities(pred_doc.get(role, []))
            adjacent = [[g for g, gold_entity in enumerate(gold_entities) if _is_match(gold_entity, pred_entity)]
                        for pred_entity in pred_entities]
            matched = _max_matching(adjacent, len(gold_entities))
            counts = per_role[role]
            counts["p_num"] += matched
            counts["p_den"] += len(pred_entities)
            counts["r_num"] += matched
            counts["r_den"] += len(gold_entities)
    return _report(per_role, ROLES)


# --------------------------------------------------------------------------- templates


def _normalise_template(template: Mapping, *, predicted: bool) -> Template:
    incident = template.get(INCIDENT)
    if predicted and not isinstance(incident, str):
        incident = DEFAULT_INCIDENT
    out: Template = {INCIDENT: incident}
    for role in ROLES:
        out[role] = _normalise_entities(template.get(role, []))
    return out


def _alone(template: Template, side: str) -> dict[str, dict]:
    """What an unpaired template adds: its incident type and every entity, to one denominator."""
    counts = {slot: _empty_counts() for slot in TEMPLATE_SLOTS}
    counts[INCIDENT][side] = 1
    for role in ROLES:
        counts[role][side] = len(template[role])
    return counts


def _paired(pred: Template, gold: Template) -> dict[str, dict] | None:
    """What a predicted template paired with a gold one adds; None when their incident types don't pair."""
    # Substring, not equality: gold types like "attack / bombing" accept either prediction.
    if pred[INCIDENT] not in gold[INCIDENT]:
        return None
    counts = {slot: _empty_counts() for slot in TEMPLATE_SLOTS}
    counts[INCIDENT].update(p_num=1, p_den=1, r_num=1, r_den=1)
    for role in ROLES:
        preds, golds = pred[role], gold[role]
        c = counts[role]
        # Not one-to-one: several predicted entities may all be credited against one gold entity.
        c["p_den"] = len(preds)
        c["p_num"] = sum(any(_is_match(g, p) for g in golds) for p in preds)
        c["r_den"] = len(golds)
        c["r_num"] = sum(any(_is_match(g, p) for p in preds) for g in golds)
    return counts


def _assignments(n_pred: int, n_gold: int) -> Iterator[tuple[int, ...]]:
    """Every partial injective map pred index -> gold index or -1 (unassigned).

    Order matters for ties: lexicographic with pred 0 most significant, and for each pred the gold
    templates in order first and "unassigned" last, as in the reference's filtered product.
    """
    choice: list[int] = []
    used = [False] * n_gold

    def extend() -> Iterator[tuple[int, ...]]:
        if len(choice) == n_pred:
            yield tuple(choice)
            return
        for g in range(n_gold):
            if not used[g]:
                used[g] = True
                choice.append(g)
                yield from extend()
                choice.pop()
                used[g] = False
        choice.append(-1)
        yield from extend()
        choice.pop()

    return extend()


def _add(total: dict[str, dict], part: dict[str, dict]) -> None:
    for slot, counts in part.items():
        for name, value in counts.items():
            total[slot][name] += value


def _best_document_counts(preds: list[Template], golds: list[Template]) -> dict[str, dict]:
    pred_alone = [_alone(t, "p_den") for t in preds]
    gold_alone = [_alone(t, "r_den") for t in golds]
    pairs = [[_paired(p, g) for g in golds] for p in preds]

    best, best_f1 = None, None
    for assignment in _assignments(len(preds), len(golds)):
        counts = {slot: _empty_counts() for slot in TEMPLATE_SLOTS}
        paired_golds = set()
        for i, g in enumerate(assignment):
            pair = pairs[i][g] if g != -1 else None
            if pair is None:
                _add(counts, pred_alone[i])
            else:
                _add(counts, pair)
                paired_golds.add(g)
        for g, alone in enumerate(gold_alone):
            if g not in paired_golds:
                _add(counts, alone)
        micro = [sum(counts[slot][name] for slot in TEMPLATE_SLOTS) for name in ("p_num", "p_den", "r_num", "r_den")]
        f1 = _f1(*micro)
        if best is None or f1 > best_f1:  # strictly better: the first best assignment is kept
            best, best_f1 = counts, f1
    return best


def template_scores(predictions: Mapping[str, Sequence[Mapping]], gold: Mapping[str, Sequence[Mapping]]) -> dict:
    """GTT's template-level scores.

    ``predictions`` and ``gold`` map docid -> list of templates; a template is a mapping with
    ``incident_type`` (str) and the roles, each a list of entities (lists of mention strings).
    Gold templates are used as given (the loader drops duplicates). Only gold documents are scored.

    Returns ``{slot: {...}, ..., "micro_avg": {...}}`` for slots ``incident_type`` and the five roles,
    each with counts ``p_num``, ``p_den``, ``r_num``, ``r_den`` and fractions ``p``, ``r``, ``f1``.
    """
    per_slot = {slot: _empty_counts() for slot in TEMPLATE_SLOTS}
    for docid, gold_templates in gold.items():
        preds = [_normalise_template(t, predicted=True) for t in predictions.get(docid) or []]
        golds = [_normalise_template(t, predicted=False) for t in gold_templates]
        _add(per_slot, _best_document_counts(preds, golds))
    return _report(per_slot, TEMPLATE_SLOTS)


# --------------------------------------------------------------------------- loaders


def _read_jsonl(path: str | Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _mentions(entities: Sequence[Sequence]) -> list[list[str]]:
    """[[mention, offset], ...] entities -> [mention, ...] entities, dropping empty ones."""
    return [[pair[0] for pair in entity] for entity in entities if entity]


def load_grit_gold(path: str | Path) -> dict[str, Extracts]:
    """``grit_ree/*.json`` -> {docid_key: {role: [[mention, ...], ...]}} (offsets and empty entities dropped)."""
    gold = {}
    for doc in _read_jsonl(path):
        gold[docid_key(doc["docid"])] = {role: _mentions(entities) for role, entities in doc["extracts"].items()}
    return gold


def load_gtt_gold(path: str | Path) -> dict[str, list[Template]]:
    """``gtt_templates/*.json`` -> {docid_key: [template, ...]}, offsets and empty entities dropped, and
    a template identical to an earlier one in the same document dropped (as the GTT scorer does)."""
    gold = {}
    for doc in _read_jsonl(path):
        templates: list[Template] = []
        for raw in doc["templates"]:
            template = {slot: (value if slot == INCIDENT else _mentions(value)) for slot, value in raw.items()}
            if template not in templates:
                templates.append(template)
        gold[docid_key(doc["docid"])] = templates
    return gold


def load_grit_predictions(path: str | Path) -> dict[str, Extracts]:
    """A GRIT output file (one JSON object: docid_key -> {"pred_extracts": {role: entities}, ...})."""
    with open(path, encoding="utf-8") as f:
        out = json.load(f)
    return {docid_key(docid): entry["pred_extracts"] for docid, entry in out.items()}


def load_gtt_predictions(path: str | Path) -> dict[str, list[Template]]:
    """A GTT output file (one JSON object: docid_key -> {"pred_templates": [template, ...], ...})."""
    with open(path, encoding="utf-8") as f:
        out = json.load(f)
    return {docid_key(docid): entry["pred_templates"] for docid, entry in out.items()}


# --------------------------------------------------------------------------- command line


def format_scores(result: dict) -> str:
    lines = []
    for slot, s in result.items():
        lines.append(
            f"{slot:>14}  P {100 * s['p']:6.2f}  R {100 * s['r']:6.2f}  F1 {100 * s['f1']:6.2f}"
            f"   ({s['p_num']}/{s['p_den']} , {s['r_num']}/{s['r_den']})"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--grit", metavar="PREDS", help="GRIT predictions (pred_extracts); scored with CEAF-REE")
    which.add_argument("--gtt", metavar="PREDS", help="GTT predictions (pred_templates); scored per template")
    parser.add_argument("--gold", required=True, help="grit_ree/test.json for --grit, gtt_templates/test.json for --gtt")
    parser.add_argument("--json", action="store_true", help="print the result dictionary as JSON")
    args = parser.parse_args(argv)

    if args.grit:
        result = ceaf_ree(load_grit_predictions(args.grit), load_grit_gold(args.gold))
        title = "CEAF-REE (phi_strict), Du, Rush & Cardie 2021 (GRIT)"
    else:
        result = template_scores(load_gtt_predictions(args.gtt), load_gtt_gold(args.gold))
        title = "Template-level scores, Du, Rush & Cardie 2021 (GTT)"
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(title)
        print(format_scores(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
