"""Correcting spans and saving them: the logic behind the app's correction panel."""

from __future__ import annotations

import pytest

from eventslots.model.spans import Span
from eventslots.serve.editing import EditError, add_span, from_highlight, from_table, save_correction, to_highlight, to_table
from eventslots.training.corpus import load_documents

TEXT = "Two drones were shot down over Erbil on Sunday, officials said."
SPANS = [Span(0, 10, "WEAPON", "Two drones"), Span(16, 25, "TRIGGER", "shot down")]


def test_highlight_round_trip():
    assert from_highlight(to_highlight(TEXT, SPANS), TEXT) == SPANS


def test_highlight_edits_from_the_browser_are_tidied():
    # The browser sends (substring, label) pairs; a sloppy selection "over Erbil " becomes LOCATION "Erbil".
    pairs = [("Two drones", "WEAPON"), (" were ", None), ("shot down", "trigger"), (" ", None), ("over Erbil ", "LOCATION"), ("on Sunday, officials said.", None)]
    spans = from_highlight(pairs, TEXT)
    assert [(s.label, s.text) for s in spans] == [("WEAPON", "Two drones"), ("TRIGGER", "shot down"), ("LOCATION", "Erbil")]


def test_unknown_label_is_a_clear_error():
    with pytest.raises(EditError, match="Unknown label 'VICTIM'"):
        from_highlight([("Two drones", "VICTIM"), (TEXT[10:], None)], TEXT)


def test_selected_words_take_the_label_box_label():
    # Gradio marks freshly selected words "label" until one is typed.
    pairs = [("Two drones", "WEAPON"), (" were shot down over ", None), ("Erbil", "label"), (TEXT[36:], None)]
    spans = from_highlight(pairs, TEXT, SPANS, selection_label="LOCATION")
    assert (31, 36, "LOCATION") in {(s.start, s.end, s.label) for s in spans}
    with pytest.raises(EditError, match="Type a label for the selected words"):
        from_highlight(pairs, TEXT, SPANS, selection_label=None)


def test_editing_one_span_keeps_the_scores_of_the_others():
    scored = [Span(0, 10, "WEAPON", "Two drones", 0.42), Span(16, 25, "TRIGGER", "shot down", 0.87)]
    pairs = [("Two drones", "ATTACKER"), (" were ", None), ("shot down", "TRIGGER"), (TEXT[25:], None)]
    spans = from_highlight(pairs, TEXT, scored)
    assert [(s.label, s.score) for s in spans] == [("ATTACKER", 1.0), ("TRIGGER", 0.87)]


def test_table_edits_relabel_delete_and_move():
    rows = to_table(SPANS)
    rows[0][0] = ""  # delete
    rows[1][0] = "TRIGGER"
    rows.append(["LOCATION", "ignored", "", 31, 36])
    rows.append(["TIME", "", None, 37, 46])  # "on Sunday" is tidied to "Sunday"
    spans = from_table(rows, TEXT)
    assert [(s.label, s.text) for s in spans] == [("TRIGGER", "shot down"), ("LOCATION", "Erbil"), ("TIME", "Sunday")]


def test_table_offsets_out_of_range():
    with pytest.raises(EditError, match="outside the article"):
        from_table([["WEAPON", "x", 1.0, 50, 500]], TEXT)


def test_add_span_by_words_and_occurrence():
    spans = add_span(TEXT, SPANS, "LOCATION", "Erbil")
    assert spans[-1] == Span(31, 36, "LOCATION", "Erbil")
    with pytest.raises(EditError, match="occurs 1 time"):
        add_span(TEXT, SPANS, "LOCATION", "Erbil", 2)
    with pytest.raises(EditError, match="not in the article as whole words"):
        add_span(TEXT, SPANS, "LOCATION", "rbi")
    replaced = add_span(TEXT, SPANS, "WEAPON", "drones")  # overlapping: the new span wins
    assert [(s.label, s.text) for s in replaced] == [("WEAPON", "drones"), ("TRIGGER", "shot down")]


def test_saved_correction_is_a_new_valid_file_and_is_never_overwritten(tmp_path):
    path = save_correction(TEXT, SPANS, "Drones over Erbil", tmp_path)
    assert path.parent == tmp_path / "user" and path.name.endswith("-drones-over-erbil.jsonl")
    [document] = load_documents([tmp_path])
    assert document.source == "user" and list(document.spans) == [Span(s.start, s.end, s.label, s.text) for s in SPANS]
    before = path.read_bytes()
    with pytest.raises(EditError, match="already exists"):
        save_correction(TEXT, [], "Drones over Erbil", tmp_path)
    assert path.read_bytes() == before


def test_invalid_correction_is_not_saved(tmp_path):
    bad = [Span(0, 3, "WEAPON", "Two"), Span(0, 10, "WEAPON", "Two drones")]
    with pytest.raises(EditError, match="overlaps"):
        save_correction(TEXT, bad, "bad", tmp_path)
    assert not (tmp_path / "user").exists()
