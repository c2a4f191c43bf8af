"""Span-score calibration: fitted on held-out predictions, stored with the model, applied at inference."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from eventslots.model.calibration import CALIBRATION_FILE, Calibration
from eventslots.model.inference import Extractor
from eventslots.training.calibration import expected_calibration_error, fit_calibration, reliability, span_outcomes
from eventslots.training.evaluate import predict_documents


def overconfident(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores near 1 that are right far less often than they claim."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0.5, 1.0, n)
    return scores, (rng.uniform(0, 1, n) < scores**4).astype(float)


def test_isotonic_fit_removes_most_of_the_calibration_error():
    scores, outcomes = overconfident()
    calibration = fit_calibration(scores, outcomes, "synthetic")
    calibrated = np.array([calibration(s) for s in scores])
    before, after = expected_calibration_error(scores, outcomes), expected_calibration_error(calibrated, outcomes)
    assert before > 0.15 and after < 0.03
    assert list(calibration.probability) == sorted(calibration.probability)  # monotone: ranking kept


def test_reliability_bins_count_every_span():
    scores, outcomes = overconfident(500)
    rows = reliability(scores, outcomes)
    assert sum(r["spans"] for r in rows) == 500 and len(rows) == 10


def test_too_few_spans_to_calibrate_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 20 predicted spans"):
        fit_calibration(np.array([0.9, 0.8]), np.array([1.0, 0.0]), "two spans")


def test_model_directory_calibration_applies_to_predict_and_min_score(trained_model_dir, seed_documents, tmp_path):
    model_dir = tmp_path / "model"
    shutil.copytree(trained_model_dir.resolve(), model_dir)
    raw = Extractor.load(model_dir)
    scores, outcomes = span_outcomes(seed_documents, predict_documents(raw.predict_batch, seed_documents))
    calibration = fit_calibration(scores, outcomes, "seeds")
    calibration.save(model_dir)
    assert Calibration.load(model_dir) == calibration and (model_dir / CALIBRATION_FILE).exists()

    calibrated = Extractor.load(model_dir)
    text = seed_documents[0].text
    before, after = raw.predict(text), calibrated.predict(text)
    assert [(s.start, s.end, s.label) for s in before] == [(s.start, s.end, s.label) for s in after]
    assert [s.score for s in after] == pytest.approx([calibration(s.score) for s in before])
    assert Extractor.load(model_dir, calibrated=False).predict(text) == before
    threshold = float(np.median([s.score for s in after]))
    assert calibrated.predict(text, min_score=threshold) == [s for s in after if s.score >= threshold]


def test_trigger_gate_and_threshold_apply_only_by_default():
    from eventslots.model.spans import Span

    calibration = Calibration((0.0, 1.0), (0.0, 1.0), min_score=0.3, trigger_gate=0.7)
    weak = [Span(0, 5, "TRIGGER", "fired", 0.6), Span(6, 10, "WEAPON", "gun", 0.9)]
    strong = [Span(0, 5, "TRIGGER", "fired", 0.8), Span(6, 10, "WEAPON", "gun", 0.2)]
    assert calibration.select(weak) == []  # no trigger the model believes: no attack
    assert calibration.select(strong) == strong[:1]  # the threshold hides the 0.2 span
    assert calibration.select(weak, min_score=0.0) == weak  # an explicit threshold shows what it says


def test_operating_point_is_chosen_to_maximise_strict_f1(seed_documents):
    from dataclasses import replace

    from eventslots.training.calibration import choose_operating_point

    # Gold spans plus a low-scoring wrong span per document: a threshold above it is the best choice.
    predicted = {
        d.id: [replace(s, score=0.9) for s in d.spans] + [replace(d.spans[0], label="DAMAGE" if d.spans[0].label != "DAMAGE" else "TIME", score=0.15)]
        for d in seed_documents
    }
    identity = Calibration((0.0, 1.0), (0.0, 1.0))
    chosen, point = choose_operating_point(seed_documents, predicted, identity)
    assert point.f1 == pytest.approx(1.0) and 0.15 < chosen.min_score <= 0.9


def test_near_equal_operating_points_prefer_quiet_no_attack_documents(seed_documents):
    from dataclasses import replace

    from eventslots.model.spans import Span
    from eventslots.training.calibration import F1_TOLERANCE, choose_operating_point, operating_points
    from eventslots.training.corpus import Document

    # The seeds' gold spans, all right and sure, then a short attack report whose trigger is weak
    # (0.55), and two no-attack documents whose only span is a trigger just as weak. A trigger gate
    # of 0.6 silences the two at the price of the report's two true spans: by F1 alone (a hair
    # lower) it would lose; within the tolerance, fewer false alarms win.
    predicted = {d.id: [replace(s, score=0.9) for s in d.spans] for d in seed_documents}
    report = [Span(0, 6, "ATTACKER", "Rebels", 0.9), Span(7, 15, "TRIGGER", "attacked", 0.55)]
    short = Document("short", "Rebels attacked.", tuple(replace(s, score=1.0) for s in report), "real")
    predicted[short.id] = report
    quiet = [Document(f"quiet-{n}", "The minister said the talks had failed.", (), "real") for n in range(2)]
    for document in quiet:
        predicted[document.id] = [Span(22, 27, "TRIGGER", "talks", 0.55)]
    quiet.append(short)
    documents = [*seed_documents, *quiet]
    identity = Calibration((0.0, 1.0), (0.0, 1.0))
    points = {(p.min_score, p.trigger_gate): p for p in operating_points(documents, predicted, identity)}
    assert points[(0.0, 0.0)].no_attack_with_spans == 2 and points[(0.0, 0.6)].no_attack_with_spans == 0
    assert 0 < points[(0.0, 0.0)].f1 - points[(0.0, 0.6)].f1 < F1_TOLERANCE
    chosen, point = choose_operating_point(documents, predicted, identity)
    assert (chosen.min_score, chosen.trigger_gate) == (0.0, 0.6) and point.no_attack_with_spans == 0
    # Without the gates (a schema with no TRIGGER), the spans stay.
    chosen, point = choose_operating_point(documents, predicted, identity, gates=False)
    assert chosen.trigger_gate == 0.0 and point.no_attack_with_spans == 2


def test_the_model_card_states_the_operating_point(tmp_path):
    from dataclasses import replace

    from eventslots.training.calibration import OperatingPoint, record_operating_point

    (tmp_path / "README.md").write_text("# Model card\n\n## Backend gate\n\npassed\n", encoding="utf-8")
    gated = Calibration((0.0, 1.0), (0.0, 1.0), fitted_on="real-dev, 70 documents", min_score=0.4, trigger_gate=0.6)
    record_operating_point(tmp_path, gated, OperatingPoint(0.4, 0.6, 0.786, 3, 14))
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "below 0.40" in card and "best TRIGGER scores below 0.60 gets no spans" in card and "| 3 of 14 |" in card
    assert "## Backend gate\n\npassed" in card  # other sections stay
    # Calibrating again replaces the section rather than adding a second one.
    record_operating_point(tmp_path, replace(gated, trigger_gate=0.0), OperatingPoint(0.4, 0.0, 0.787, 7, 14))
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert card.count("## Operating point") == 1 and "no trigger gate" in card and "| 7 of 14 |" in card
