"""The MUC-4 scorer port (benchmarks/muc4/scorer.py): hand-computed cases, and the published numbers."""

from __future__ import annotations

import json
import random

import pytest


from benchmarks.muc4 import scorer  # benchmarks/ is on the tests' path (pyproject.toml)


def _empty_roles(**roles):
    return {role: roles.get(role, []) for role in scorer.ROLES}


def _template(incident, **roles):
    return {"incident_type": incident, **_empty_roles(**roles)}


# --------------------------------------------------------------------------- normalisation and ids


def test_normalisation_lowercases_strips_punctuation_articles_and_spaces():
    assert scorer.normalize_mention("The F.M.L.N.") == "fmln"
    assert scorer.normalize_mention("  an Army   patrol ") == "army patrol"
    assert scorer.normalize_mention("\"Santo Tomas\" farm") == "santo tomas farm"
    # Punctuation goes first, so a hyphen glues the article on and it survives.
    assert scorer.normalize_mention("the-bomb") == "thebomb"
    assert scorer.normalize_mention("A") == ""
    assert scorer.normalize_mention("theatre") == "theatre"


def test_docid_key():
    assert scorer.docid_key("TST3-MUC4-0001") == "30001"
    assert scorer.docid_key("TST4-MUC4-0100") == "40100"
    assert scorer.docid_key("TST1-MUC3-0012") == "10012"
    assert scorer.docid_key("30001") == "30001"
    assert scorer.docid_key("DEV-MUC3-0001") == "DEV-MUC3-0001"


# --------------------------------------------------------------------------- CEAF-REE by hand


def test_ceaf_is_one_to_one_and_a_predicted_entity_must_lie_inside_the_gold_one():
    gold = {"d": _empty_roles(PerpInd=[["the guerrillas", "FMLN guerrillas"], ["urban commandos"]])}
    pred = {"d": _empty_roles(PerpInd=[
        ["Guerrillas"],                   # inside gold entity 1 after normalisation
        ["fmln guerrillas", "guerrillas"],  # also inside gold entity 1, but it is already taken
        ["commandos"],                    # not a mention of gold entity 2
    ])}
    result = scorer.ceaf_ree(pred, gold)
    perp = result["PerpInd"]
    assert (perp["p_num"], perp["p_den"], perp["r_num"], perp["r_den"]) == (1, 3, 1, 2)
    assert perp["p"] == pytest.approx(1 / 3) and perp["r"] == pytest.approx(1 / 2)
    assert perp["f1"] == pytest.approx(0.4)  # 2 * 1/3 * 1/2 / (1/3 + 1/2)
    assert result["micro_avg"]["f1"] == pytest.approx(0.4)


def test_ceaf_alignment_is_optimal_not_greedy():
    # "bomb" is a mention of both gold entities; taking gold 1 for it (greedy, first come) would leave
    # "explosive" with nothing. The optimal alignment matches both.
    gold = {"d": _empty_roles(Weapon=[["bomb", "explosive"], ["bomb", "device"]])}
    pred = {"d": _empty_roles(Weapon=[["bomb"], ["explosive"]])}
    weapon = scorer.ceaf_ree(pred, gold)["Weapon"]
    assert (weapon["p_num"], weapon["p_den"], weapon["r_num"], weapon["r_den"]) == (2, 2, 2, 2)

    # One mention outside the gold entity spoils the whole predicted entity.
    pred = {"d": _empty_roles(Weapon=[["bomb", "car"]])}
    weapon = scorer.ceaf_ree(pred, gold)["Weapon"]
    assert (weapon["p_num"], weapon["p_den"], weapon["r_num"], weapon["r_den"]) == (0, 1, 0, 2)
    assert weapon["f1"] == 0


def test_ceaf_micro_sums_counts_over_roles_and_documents():
    gold = {
        "a": _empty_roles(Target=[["embassy"]], Victim=[["mayor"], ["driver"]]),
        "b": _empty_roles(Target=[["bus"]]),
    }
    pred = {
        "a": _empty_roles(Target=[["the embassy"]], Victim=[["mayor"], ["priest"], ["judge"]]),
        # "b" predicts nothing: it only adds to recall's denominator.
    }
    result = scorer.ceaf_ree(pred, gold)
    micro = result["micro_avg"]
    assert (micro["p_num"], micro["p_den"], micro["r_num"], micro["r_den"]) == (2, 4, 2, 4)
    assert micro["f1"] == pytest.approx(0.5)
    assert result["Target"]["r"] == pytest.approx(1 / 2) and result["Victim"]["p"] == pytest.approx(1 / 3)
    assert result["PerpOrg"] == {"p_num": 0, "p_den": 0, "r_num": 0, "r_den": 0, "p": 0, "r": 0, "f1": 0}


def test_maximum_matching_agrees_with_the_hungarian_solver():
    optimize = pytest.importorskip("scipy.optimize")
    import numpy as np

    rng = random.Random(4)
    for _ in range(300):
        n_pred, n_gold = rng.randint(0, 6), rng.randint(0, 6)
        scores = np.array([[rng.random() < 0.35 for _ in range(n_gold)] for _ in range(n_pred)], dtype=float)
        scores = scores.reshape(n_pred, n_gold)
        rows, cols = optimize.linear_sum_assignment(-scores)
        adjacent = [[g for g in range(n_gold) if scores[p, g]] for p in range(n_pred)]
        assert scorer._max_matching(adjacent, n_gold) == int(scores[rows, cols].sum())


# --------------------------------------------------------------------------- templates by hand


def test_templates_are_aligned_by_incident_type_and_best_f1():
    gold = {"d": [
        _template("attack", PerpInd=[["guerrillas"]], Target=[["bus"]]),
        _template("bombing", Target=[["embassy"]], Weapon=[["bomb"]]),
    ]}
    pred = {"d": [
        _template("bombing", Target=[["embassy"]], Weapon=[["bomb"], ["dynamite"]]),
        _template("attack", PerpInd=[["the guerrillas"]], Target=[["embassy"]]),
    ]}
    # In list order neither incident type pairs; the crossed alignment pairs both.
    result = scorer.template_scores(pred, gold)
    counts = {slot: (s["p_num"], s["p_den"], s["r_num"], s["r_den"]) for slot, s in result.items()}
    assert counts == {
        "incident_type": (2, 2, 2, 2),
        "PerpInd": (1, 1, 1, 1),
        "PerpOrg": (0, 0, 0, 0),
        "Target": (1, 2, 1, 2),  # "embassy" is right in the bombing, wrong in the attack
        "Victim": (0, 0, 0, 0),
        "Weapon": (1, 2, 1, 1),
        "micro_avg": (5, 7, 5, 6),
    }
    assert result["micro_avg"]["p"] == pytest.approx(5 / 7)
    assert result["micro_avg"]["r"] == pytest.approx(5 / 6)
    assert result["micro_avg"]["f1"] == pytest.approx(10 / 13)


def test_template_roles_credit_every_matching_entity_and_unpaired_templates_only_add_denominators():
    gold = {"d": [_template("kidnapping", Victim=[["mayor", "official"], ["driver"]])]}
    pred = {"d": [
        # Both predicted entities fall inside the same gold entity: both count (not one-to-one).
        _template("kidnapping", Victim=[["mayor"], ["official"]]),
        _template("arson", Target=[["house"]]),  # no gold template left: spurious
    ]}
    result = scorer.template_scores(pred, gold)
    victim, incident = result["Victim"], result["incident_type"]
    assert (victim["p_num"], victim["p_den"], victim["r_num"], victim["r_den"]) == (2, 2, 1, 2)
    assert (incident["p_num"], incident["p_den"], incident["r_num"], incident["r_den"]) == (1, 2, 1, 1)
    assert (result["Target"]["p_den"], result["Target"]["p_num"]) == (1, 0)


def test_incident_type_pairs_by_substring():
    gold = {"d": [_template("attack / bombing", Target=[["bank"]])]}
    for incident, paired in (("attack", True), ("bombing", True), ("arson", False)):
        result = scorer.template_scores({"d": [_template(incident, Target=[["bank"]])]}, gold)
        assert (result["Target"]["p_num"] == 1) is paired, incident
        assert result["incident_type"]["p_num"] == int(paired)
    # A predicted type that is not a string counts as "attack".
    result = scorer.template_scores({"d": [_template(None, Target=[["bank"]])]}, gold)
    assert result["Target"]["p_num"] == 1


def test_template_ties_keep_the_first_alignment():
    # Pairing the prediction with either gold template gives micro 2/3 P, 2/4 R; the scorer keeps the
    # first one in enumeration order (gold 0), which credits PerpInd, not Target.
    gold = {"d": [_template("attack", PerpInd=[["soldiers"]]), _template("attack", Target=[["bridge"]])]}
    pred = {"d": [_template("attack", PerpInd=[["soldiers"]], Target=[["bridge"]])]}
    result = scorer.template_scores(pred, gold)
    assert (result["PerpInd"]["p_num"], result["Target"]["p_num"]) == (1, 0)
    assert (result["Target"]["r_den"], result["incident_type"]["r_den"]) == (1, 2)
    micro = result["micro_avg"]
    assert (micro["p_num"], micro["p_den"], micro["r_num"], micro["r_den"]) == (2, 3, 2, 4)


def test_gtt_gold_loader_drops_offsets_empty_entities_and_duplicate_templates(tmp_path):
    path = tmp_path / "gold.json"
    template = {"incident_type": "attack", "PerpInd": [[["guerrillas", 3]], []], "PerpOrg": [], "Target": [],
                "Victim": [], "Weapon": []}
    path.write_text(
        '{"docid": "TST3-MUC4-0007", "doctext": "x", "templates": [%s, %s]}\n'
        % (json.dumps(template), json.dumps(template)),
        encoding="utf-8",
    )
    gold = scorer.load_gtt_gold(path)
    assert list(gold) == ["30007"]
    assert gold["30007"] == [{"incident_type": "attack", "PerpInd": [["guerrillas"]], "PerpOrg": [], "Target": [],
                              "Victim": [], "Weapon": []}]


# --------------------------------------------------------------------------- the published numbers


def _percent(result, key="micro_avg"):
    return tuple(round(100 * result[key][name], 2) for name in ("p", "r", "f1"))


def test_reproduces_grit_ceaf_ree(muc4_dir):
    muc4 = muc4_dir
    result = scorer.ceaf_ree(
        scorer.load_grit_predictions(muc4 / "reference_predictions" / "preds_s_t.out"),
        scorer.load_grit_gold(muc4 / "grit_ree" / "test.json"),
    )
    assert _percent(result) == (64.19, 47.36, 54.50)
    micro = result["micro_avg"]
    assert (micro["p_num"], micro["p_den"], micro["r_num"], micro["r_den"]) == (242, 377, 242, 511)


def test_reproduces_gtt_template_scores(muc4_dir):
    muc4 = muc4_dir
    result = scorer.template_scores(
        scorer.load_gtt_predictions(muc4 / "reference_predictions" / "preds_gtt.out"),
        scorer.load_gtt_gold(muc4 / "gtt_templates" / "test.json"),
    )
    assert _percent(result) == (61.69, 42.36, 50.23)
    micro = result["micro_avg"]
    assert (micro["p_num"], micro["p_den"], micro["r_num"], micro["r_den"]) == (343, 556, 344, 812)


def test_command_line_prints_the_micro_scores(capsys, muc4_dir):
    muc4 = muc4_dir
    scorer.main(["--gtt", str(muc4 / "reference_predictions" / "preds_gtt.out"),
                 "--gold", str(muc4 / "gtt_templates" / "test.json")])
    micro_line = [line for line in capsys.readouterr().out.splitlines() if "micro_avg" in line]
    assert micro_line and "P  61.69  R  42.36  F1  50.23" in micro_line[0]


def test_the_committed_test_predictions_score_what_the_readme_reports(muc4_dir):
    """benchmarks/results/muc4/preds_test.json is GRIT's output format, keyed and shaped like preds_s_t.out,
    and the port scores it to the F1 that the results and the README give."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    path = root / "benchmarks" / "results" / "muc4" / "preds_test.json"
    ours, theirs = json.loads(path.read_text()), json.loads((muc4_dir / "reference_predictions" / "preds_s_t.out").read_text())
    assert set(ours) == set(theirs) and all(set(ours[k]) == set(theirs[k]) for k in ours)
    assert all(set(ours[k]["pred_extracts"]) == set(scorer.ROLES) for k in ours)
    result = scorer.ceaf_ree(scorer.load_grit_predictions(path), scorer.load_grit_gold(muc4_dir / "grit_ree" / "test.json"))
    summary = json.loads((root / "benchmarks" / "results" / "muc4" / "summary.json").read_text())
    assert result[scorer.MICRO]["f1"] == pytest.approx(summary["test"]["ceaf_ree"][scorer.MICRO]["f1"])
    assert f"**{100 * result[scorer.MICRO]['f1']:.2f}**" in (root / "README.md").read_text()
