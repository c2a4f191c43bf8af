"""MUC-4 to span records and back (benchmarks/muc4/convert.py): tiny hand-made cases, and the oracle on the real split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventslots.model.spans import Span

from benchmarks.muc4 import convert  # benchmarks/ is on the tests' path (pyproject.toml)

scorer = convert.scorer


def _grit_document(docid: str, text: str, **roles) -> dict:
    """A grit_ree line; each role is a list of entities, each a list of mentions (offsets = first occurrence)."""
    extracts = {role: [[[m, text.find(m)] for m in entity] for entity in roles.get(role, [])] for role in scorer.ROLES}
    return {"docid": docid, "doctext": text, "extracts": extracts}


def _write_grit(folder: Path, split: str, documents: list[dict]) -> Path:
    path = folder / f"{split}.json"
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    return path


def _spans(record: dict) -> list[tuple[str, str]]:
    return [(s["label"], s["text"]) for s in record["spans"]]


# --------------------------------------------------------------------------- projection


def test_occurrences_respect_word_boundaries():
    text = "the army, harmy and armys; army."
    assert convert.occurrences(text, "army") == [(4, 8), (27, 31)]
    # Quotes and parentheses at a mention's edge: \b would miss these, the look-arounds do not.
    text = 'at the "santo tomas" farm, near "santo tomas" farms and (urng) x(urng)'
    assert [text[s:e] for s, e in convert.occurrences(text, '"santo tomas" farm')] == ['"santo tomas" farm']
    assert len(convert.occurrences(text, "(urng)")) == 1
    assert convert.occurrences("u.s. and u.s.a.", "u.s.") == [(0, 4)]


def test_every_occurrence_is_tagged_and_a_mention_inside_a_word_is_not(tmp_path):
    text = "armys attacked. the army said the army left. soldiers fled."
    document = _grit_document("TST3-MUC4-0001", text, PerpOrg=[["army"]], PerpInd=[["soldier"]])
    path = _write_grit(tmp_path, "test", [document])

    (record,), stats = convert.to_documents(path)
    assert _spans(record) == [("PerpOrg", "army"), ("PerpOrg", "army")]
    assert [s["start"] for s in record["spans"]] == [20, 34]
    assert record["id"] == "TST3-MUC4-0001" and record["source"] == "user" and record["meta"]["corpus"] == "muc4-grit"
    assert record["meta"] == {"corpus": "muc4-grit", "split": "test"}
    assert all(text[s["start"]:s["end"]] == s["text"] for s in record["spans"])
    # The given offsets both sit inside words ("armys", "soldiers"); "soldier" has no other occurrence.
    assert stats["first_offsets_inside_a_word"] == 2
    assert stats["mentions_not_found"] == 1
    assert stats["first_occurrences"]["spans"] == 2
    assert stats["all_occurrences"]["spans"] == 2
    assert stats["all_occurrences"]["entities_lost"] == 1

    (first_only,), _ = convert.to_documents(path, all_occurrences=False)
    assert [(s["start"], s["text"]) for s in first_only["spans"]] == [(0, "army"), (45, "soldier")]


def test_overlaps_prefer_the_longer_span_and_a_fixed_role_order(tmp_path):
    text = "fmln urban commandos and the fmln struck; fmln urban commandos fled. fpmr claimed it."
    document = _grit_document(
        "TST3-MUC4-0002", text,
        PerpInd=[["fmln urban commandos"], ["fpmr"]],
        PerpOrg=[["fmln"], ["fpmr"]],
        Target=[["urban commandos fled"]],  # crosses the second "fmln urban commandos"
    )
    path = _write_grit(tmp_path, "dev", [document])

    (record,), stats = convert.to_documents(path)
    assert _spans(record) == [
        ("PerpInd", "fmln urban commandos"),
        ("PerpOrg", "fmln"),
        ("PerpInd", "fmln urban commandos"),
        ("PerpOrg", "fpmr"),  # the string fills both perpetrator roles: PerpOrg keeps it
    ]
    # Longest first: "urban commandos fled" (20 characters) ties with the second "fmln urban commandos"
    # and loses to its earlier start.
    assert stats["all_occurrences"]["dropped"] == {
        convert.CROSSING: 1,
        convert.INSIDE: 2,  # "fmln" inside both "fmln urban commandos"
        convert.SAME_SPAN: 1,
    }
    assert stats["all_occurrences"]["candidates"] == 8
    assert stats["gold_mentions"] == 5 and stats["gold_entities"] == 5
    assert stats["all_occurrences"]["entities_lost"] == 2  # PerpInd "fpmr" and the Target
    assert record["meta"]["split"] == "dev"


def test_resolve_overlaps_is_order_independent():
    candidates = [convert.Candidate(0, 4, "PerpInd"), convert.Candidate(0, 4, "PerpOrg"),
                  convert.Candidate(0, 10, "Target"), convert.Candidate(12, 16, "Victim")]
    kept, dropped = convert.resolve_overlaps(candidates)
    assert (kept, dropped) == convert.resolve_overlaps(reversed(candidates))
    assert kept == [convert.Candidate(0, 10, "Target"), convert.Candidate(12, 16, "Victim")]
    assert dropped == {convert.INSIDE: 2}
    kept, dropped = convert.resolve_overlaps(candidates[:2])
    assert kept == [convert.Candidate(0, 4, "PerpOrg")] and dropped == {convert.SAME_SPAN: 1}


def test_documents_without_fillers_are_kept_and_counted(tmp_path):
    path = _write_grit(tmp_path, "train", [_grit_document("DEV-MUC3-0001", "nothing happened.")])
    records, stats = convert.to_documents(path)
    assert records[0]["spans"] == [] and stats["documents_without_fillers"] == 1 == stats["documents"]


# --------------------------------------------------------------------------- back to fillers


def test_to_fillers_makes_one_entity_per_role_and_normalised_string():
    documents = [
        {"id": "TST3-MUC4-0001", "text": "the fmln, fmln and f.m.l.n. attacked the army post."},
        {"id": "TST4-MUC4-0100", "text": "nothing."},
    ]
    spans = {
        "TST3-MUC4-0001": [
            (10, 14, "PerpOrg", "fmln"),
            (0, 8, "PerpOrg", "the fmln"),  # order does not matter: the first occurrence names the entity
            (19, 27, "PerpOrg", "f.m.l.n."),
            Span(41, 50, "Target", "army post"),
            (41, 45, "PerpOrg", "army"),
            (0, 3, "LOCATION", "the"),  # not a MUC-4 role
        ]
    }
    predictions = convert.to_fillers(spans, documents)
    assert list(predictions) == ["30001", "40100"]
    assert predictions["30001"] == {
        "PerpInd": [], "PerpOrg": [["the fmln"], ["army"]], "Target": [["army post"]], "Victim": [], "Weapon": [],
    }
    assert predictions["40100"] == {role: [] for role in scorer.ROLES}
    # Docids may come in key form too.
    assert convert.to_fillers({"30001": spans["TST3-MUC4-0001"]}, documents) == predictions
    with pytest.raises(ValueError, match="TST3-MUC4-0002"):
        convert.to_fillers({"TST3-MUC4-0002": []}, documents)


def test_written_grit_file_has_grit_keys_and_scores(tmp_path):
    text = "guerrillas of the fmln bombed the embassy. the guerrilla column left."
    gold_path = _write_grit(tmp_path, "test", [
        _grit_document("TST3-MUC4-0001", text, PerpInd=[["guerrillas", "guerrilla column"]], PerpOrg=[["the fmln"]],
                       Target=[["embassy"]]),
        _grit_document("TST4-MUC4-0007", "all quiet."),
    ])
    records, _ = convert.to_documents(gold_path)
    spans = {r["id"]: [(s["start"], s["end"], s["label"], s["text"]) for s in r["spans"]] for r in records}
    predictions = convert.to_fillers(spans, records)
    out = convert.write_grit_predictions(predictions, tmp_path / "preds.out", gold_path)

    written = json.loads(out.read_text(encoding="utf-8"))
    assert list(written) == ["30001", "40007"]
    assert set(written["30001"]) == {"doctext", "pred_seq", "pred_extracts", "gold_extracts"}
    assert written["30001"]["doctext"] == text
    assert written["30001"]["pred_seq"] == "guerrillas guerrilla column [SEP] the fmln [SEP] embassy [SEP] [SEP] [SEP]"
    assert written["30001"]["gold_extracts"]["PerpOrg"] == [["fmln"]]  # normalised, as GRIT writes them
    assert written["40007"]["pred_extracts"] == {role: [] for role in scorer.ROLES}

    result = scorer.ceaf_ree(scorer.load_grit_predictions(out), scorer.load_grit_gold(gold_path))
    # Two strings of one gold entity become two entities: one matches, the other is a false positive.
    assert result["micro_avg"]["p_num"] == 3 and result["micro_avg"]["p_den"] == 4
    assert result["micro_avg"]["r_den"] == 3
    assert result == convert.oracle(gold_path)

    with pytest.raises(FileExistsError):
        convert.write_grit_predictions(predictions, out, gold_path)


def test_main_writes_records_and_refuses_to_overwrite(tmp_path, capsys):
    _write_grit(tmp_path, "dev", [_grit_document("TST1-MUC3-0001", "the army fired.", PerpOrg=[["army"]])])
    output = tmp_path / "dev.jsonl"
    assert convert.main(["--split", "dev", "--data", str(tmp_path), "--output", str(output)]) == 0
    (record,) = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert record["spans"] == [{"start": 4, "end": 8, "label": "PerpOrg", "text": "army"}]
    assert list(record) == ["id", "source", "text", "spans", "meta"]

    before = output.read_bytes()
    with pytest.raises(SystemExit):
        convert.main(["--split", "dev", "--data", str(tmp_path), "--output", str(output)])
    assert "already exists" in capsys.readouterr().err
    assert output.read_bytes() == before


# --------------------------------------------------------------------------- the real data


def test_oracle_on_the_test_split(muc4_dir):
    muc4 = muc4_dir
    test = muc4 / "grit_ree" / "test.json"
    records, stats = convert.to_documents(test)
    assert (stats["documents"], stats["gold_mentions"], stats["documents_without_fillers"]) == (200, 812, 77)
    assert (stats["first_occurrences"]["spans"], stats["all_occurrences"]["spans"]) == (580, 907)

    result = convert.oracle(test)["micro_avg"]
    assert (result["p_num"], result["p_den"], result["r_den"]) == (490, 638, 511)
    assert round(100 * result["f1"], 2) == 85.29
    assert result["f1"] > 0.85


def test_grit_emits_one_mention_per_entity(muc4_dir):
    muc4 = muc4_dir
    grit_file = muc4 / "reference_predictions" / "preds_s_t.out"
    grit = json.loads(grit_file.read_text(encoding="utf-8"))
    # The module docstring's claim: GRIT emits one mention per entity.
    entities = [entity for entry in grit.values() for role in scorer.ROLES for entity in entry["pred_extracts"][role]]
    assert (sum(len(entity) > 1 for entity in entities), len(entities)) == (0, 377)
    assert "0 of its 377 predicted" in " ".join(convert.__doc__.split())


def test_written_file_has_grits_structure_and_gold(tmp_path, muc4_dir):
    muc4 = muc4_dir
    test = muc4 / "grit_ree" / "test.json"
    records, _ = convert.to_documents(test)
    spans = {r["id"]: [(s["start"], s["end"], s["label"], s["text"]) for s in r["spans"]] for r in records}
    out = convert.write_grit_predictions(convert.to_fillers(spans, records), tmp_path / "preds.out", test)
    written = json.loads(out.read_text(encoding="utf-8"))
    grit = json.loads((muc4 / "reference_predictions" / "preds_s_t.out").read_text(encoding="utf-8"))
    assert list(written) == list(grit)
    assert all(written[key].keys() == grit[key].keys() for key in grit)
    assert all(written[key]["gold_extracts"] == grit[key]["gold_extracts"] for key in grit)
    assert scorer.ceaf_ree(scorer.load_grit_predictions(out), scorer.load_grit_gold(test)) == convert.oracle(test)


# --------------------------------------------------------------------------- the benchmark's choice on dev


def test_the_settings_chosen_on_dev_drop_unsure_spans_and_quiet_documents(muc4_dir):
    """benchmarks/muc4/run.py chooses the span threshold and the document gate by dev CEAF-REE: with the
    gold spans scored 0.9 and a spurious span scored 0.25 in every document, it keeps exactly the gold."""
    from benchmarks.muc4 import run

    gold_file = muc4_dir / "grit_ree" / "dev.json"
    records, _ = convert.to_documents(gold_file)
    spans = {}
    for record in records:
        word = record["text"].split()[0]
        spurious = Span(record["text"].index(word), record["text"].index(word) + len(word), "Weapon", word, 0.25)
        spans[record["id"]] = [Span(s["start"], s["end"], s["label"], s["text"], 0.9) for s in record["spans"]] + [spurious]
    chosen, grid = run.choose_on_dev(spans, records, gold_file)
    every = next(row for row in grid if row["threshold"] == 0.0 and row["gate"] == 0.0 and row["contained"] == "keep")
    assert 0.25 < chosen["threshold"] <= 0.9 and chosen["f1"] > every["f1"]
    # The gold through the chosen handling of contained strings: at least the oracle's 86.50.
    assert chosen["f1"] >= convert.oracle(gold_file)[scorer.MICRO]["f1"] and chosen["contained"] != "keep"
    gated = run.select({"a": [spurious], "b": [spurious, Span(0, 1, "Weapon", "x", 0.8)]}, 0.2, 0.5)
    assert gated == {"a": [], "b": [spurious, Span(0, 1, "Weapon", "x", 0.8)]}


def test_contained_strings_are_kept_or_collapsed_to_one():
    text = "fmln guerrillas attacked. the guerrillas fled. fmln said."
    spans = [(0, 15, "PerpInd", "fmln guerrillas"), (30, 40, "PerpInd", "guerrillas"), (47, 51, "PerpOrg", "fmln")]
    records = [{"id": "TST3-MUC4-0001", "text": text}]
    assert convert.to_fillers({"TST3-MUC4-0001": spans}, records)["30001"]["PerpInd"] == [["fmln guerrillas"], ["guerrillas"]]
    assert convert.to_fillers({"TST3-MUC4-0001": spans}, records, "longest")["30001"]["PerpInd"] == [["fmln guerrillas"]]
    shortest = convert.to_fillers({"TST3-MUC4-0001": spans}, records, "shortest")["30001"]
    assert shortest["PerpInd"] == [["guerrillas"]] and shortest["PerpOrg"] == [["fmln"]]  # other roles never collapse it
    with pytest.raises(ValueError, match="contained"):
        convert.to_fillers({}, records, "merge")
