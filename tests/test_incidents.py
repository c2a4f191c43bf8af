"""Incident records: derived values, grouping, the template metric, the timeline and the command."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest

from eventslots.model.grouping import rule_grouping
from eventslots.model.incidents import ROW_FIELDS, build_incidents, extract_incidents
from eventslots.model.normalise import Count, TimeValue, casualty_counts, dateline, resolve_time
from eventslots.model.paths import SEEDS_DIR
from eventslots.model.sentences import sentence_spans
from eventslots.model.spans import Span
from eventslots.model.timeline import merge_records
from eventslots.training.corpus import Document
from eventslots.training.incident_metrics import grouping_agreement, template_scores


def spans_of(text: str, marked: list[tuple[str, str]], events: list[tuple[int, ...]] | None = None) -> list[Span]:
    """Spans for (surface, label) pairs, each the first occurrence after the previous one."""
    spans, cursor = [], 0
    for index, (surface, label) in enumerate(marked):
        start = text.index(surface, cursor)
        cursor = start + len(surface)
        spans.append(Span(start, cursor, label, surface, event=events[index] if events else ()))
    return spans


def time_of(expression: str, base: datetime | None):
    value = resolve_time([Span(0, len(expression), "TIME", expression)], base)
    return value.iso if value else None


FRIDAY = datetime(2024, 1, 5, 12)


@pytest.mark.parametrize("expression, base, iso", [
    ("yesterday evening", FRIDAY, "2024-01-04"),
    ("Thursday", FRIDAY, "2024-01-04"),
    ("Friday", FRIDAY, "2024-01-05"),  # the dateline's own weekday is that day, not a week before
    ("this morning", FRIDAY, "2024-01-05"),
    ("on 12 March", FRIDAY, "2023-03-12"),
    ("Thursday", None, None),  # relative, and nothing to resolve it against
    ("January 3, 2020", None, "2020-01-03"),
    ("June 1986", None, "1986-06"),
    ("1986", None, "1986"),
    ("21 DEC 89", datetime(1989, 12, 22), "1989-12-21"),  # a two-digit year is not put a century off
    ("29 July at 2220", datetime(1988, 7, 31), "1988-07-29"),  # a clock time is not a year
    ("approximately 0400 this morning", datetime(1988, 11, 23), "1988-11-23"),
    ("the 1990s", None, "1990/1999"),
    ("recently", FRIDAY, None),
    ("first half of November", datetime(1988, 9, 15), "1987-11-01/1987-11-15"),  # half a month is a range
    ("past few hours", datetime(1988, 10, 19), "1988-10-19"),
    ("autumn 1974", None, "1974"),  # a season gives its year
    ("two days after", FRIDAY, None),  # counted from another event, not from the publication date
])
def test_dates_resolve_against_the_publication_date(expression, base, iso):
    assert time_of(expression, base) == iso


@pytest.mark.parametrize("expression, previous, iso", [
    ("two days after", "2016-09-17", "2016-09-19"),
    ("a week earlier", "2016-09-17", "2016-09-10"),
    ("the next day", "1975-08-27", "1975-08-28"),
    ("a few hours later", "1987-11-01/1987-11-15", "1987-11-01/1987-11-15"),  # within the range told before
    ("two days after", "2016-09", None),  # days counted from a month fix no day
])
def test_times_told_against_the_incident_before(expression, previous, iso):
    earlier = TimeValue(previous, Span(0, 1, "TIME", "x"))
    value = resolve_time([Span(0, len(expression), "TIME", expression)], FRIDAY, earlier)
    assert (value.iso if value else None) == iso


@pytest.mark.parametrize("text, iso", [
    ("Lima, 2 Dec 88 (EFE) -- 13,000 people have been killed since the violence began in 1980.", "1980/1988-12-02"),
    ("Lima, 2 Dec 88 (EFE) -- The unit had carried out attacks since autumn 1974.", "1974/1988-12-02"),
    ("Lima, 2 Dec 88 (EFE) -- Phones have been cut off since early today.", "1988-12-02"),  # a day stays a day
    ("Lima, 2 Dec 88 (EFE) -- Police said the bomb went off in 1980.", "1980"),
])
def test_a_date_since_which_attacks_went_on_reaches_the_day_of_writing(text, iso):
    expression = {"1980.": "1980", "1974.": "autumn 1974", "today.": "early today"}[text.split()[-1]]
    span = spans_of(text, [(expression, "TIME")])
    assert resolve_time(span, dateline(text), text=text).iso == iso


def test_a_toll_shared_by_two_incidents_gives_way_to_each_ones_own():
    text = ("Two suicide bombings killed over 48 people. The first attack killed over 26. "
            "26 people and the bomber were killed there. In the second, 22 were killed.")
    spans = spans_of(text, [("bombings", "TRIGGER"), ("over 48 people", "CASUALTIES"), ("attack", "TRIGGER"), ("over 26", "CASUALTIES"),
                            ("26 people", "CASUALTIES"), ("bomber", "CASUALTIES"), ("second", "TRIGGER"), ("22", "CASUALTIES")])
    first, second, total = [0, 1, 2, 3, 4, 5], [0, 1, 6, 7], [0, 1]
    records = build_incidents(text, spans, [(first, 1.0), (second, 1.0), (total, 1.0)])
    # The exact figure stands over the floor that rounds it ("over 26" against 26 and the bomber).
    assert [r.killed for r in records] == [Count(27), Count(22), Count(49, True)]


def test_a_dateline_dates_the_text():
    assert dateline("Lima, 20 Aug 88 (EFE) -- Police said") == datetime(1988, 8, 20)
    assert dateline("Police said on Monday") is None


@pytest.mark.parametrize("text, marked, killed, injured", [
    ("At least 13 civilians were killed and two soldiers wounded.", [("At least 13 civilians", "CASUALTIES"), ("two soldiers", "CASUALTIES")], Count(13, True), Count(2)),
    ("More than 20 people died.", [("More than 20 people", "CASUALTIES")], Count(21, True), None),
    ("Dozens were injured.", [("Dozens", "CASUALTIES")], None, Count(24, True)),
    ("There were no casualties.", [("no casualties", "CASUALTIES")], Count(0), Count(0)),
    ("The army reported no injuries.", [("no injuries", "CASUALTIES")], Count(0), Count(0)),
    ("There were no reports of casualties or damage.", [("casualties", "CASUALTIES")], Count(0), Count(0)),
    ("The strike killed Qasem Soleimani.", [("Qasem Soleimani", "CASUALTIES")], Count(1), None),
    # A name and its description, either way round, are one person; two listed names are two.
    ("The strike killed Iran's top commander, Qasem Soleimani.", [("Iran's top commander", "CASUALTIES"), ("Qasem Soleimani", "CASUALTIES")], Count(1), None),
    ("It killed Qasem Soleimani, commander of the Quds Force, and Abu Mahdi al-Muhandis, his deputy.",
     [("Qasem Soleimani", "CASUALTIES"), ("commander of the Quds Force", "CASUALTIES"), ("Abu Mahdi al-Muhandis", "CASUALTIES"), ("his deputy", "CASUALTIES")], Count(2), None),
    ("The bomb killed two soldiers and a civilian.", [("two soldiers", "CASUALTIES"), ("civilian", "CASUALTIES")], Count(3), None),
    ("The blast killed 18 people: nine policemen, nine civilians.", [("18 people", "CASUALTIES"), ("nine policemen", "CASUALTIES"), ("nine civilians", "CASUALTIES")], Count(18), None),
    ("Five people were killed. Officials later said five people died.", [("Five people", "CASUALTIES"), ("five people", "CASUALTIES")], Count(5), None),
    ("An 18-year-old girl was wounded.", [("18-year-old girl", "CASUALTIES")], None, Count(1)),
    ("Hundreds were injured.", [("Hundreds", "CASUALTIES")], None, Count(200, True)),
    ("It followed the slaying of seven more demonstrators.", [("seven more demonstrators", "CASUALTIES")], Count(7), None),
    # A part singled out of a figure is already in it.
    ("The note denounces the massacre of 14 fishermen, including two Colombians.", [("14 fishermen", "CASUALTIES"), ("two Colombians", "CASUALTIES")], Count(14), None),
    ("The attack killed nine policemen and nine civilians, including four clerks.",
     [("nine policemen", "CASUALTIES"), ("nine civilians", "CASUALTIES"), ("four clerks", "CASUALTIES")], Count(18), None),
    ("Officials said 25 people were killed, five of them children, and more than 100 injured.",
     [("25 people", "CASUALTIES"), ("five of them children", "CASUALTIES"), ("more than 100", "CASUALTIES")], Count(25), Count(101, True)),
    # The cue that governs a span (or its list) wins over a nearer one of the next clause.
    ("Guerrillas caused the death of 6 people and crippled 23 others.", [("6 people", "CASUALTIES"), ("23 others", "CASUALTIES")], Count(6), Count(23)),
    ("Six soldiers were killed with two other Americans and an Afghan injured.",
     [("Six soldiers", "CASUALTIES"), ("two other Americans", "CASUALTIES"), ("Afghan", "CASUALTIES")], Count(6), Count(3)),
    ("Shells hit the district, killing a woman and her teenage son and wounding five others.",
     [("woman", "CASUALTIES"), ("teenage son", "CASUALTIES"), ("five others", "CASUALTIES")], Count(2), Count(5)),
    ("A man stabbed eight people in a mall.", [("eight people", "CASUALTIES")], None, Count(8)),
    ("Four masked men stabbed the deputy prefect to death.", [("deputy prefect", "CASUALTIES")], Count(1), None),
    # "Others" on top of a figure of the same kind add up.
    ("Ninety six people were detained in hospital, and about 24 others were allowed home after treatment.",
     [("Ninety six people", "CASUALTIES"), ("about 24 others", "CASUALTIES")], None, Count(120)),
    # One person named or described twice, an age or an article between.
    ("Police disrupted the funeral of James McDade, a volunteer who had died in a premature explosion.",
     [("James McDade", "CASUALTIES"), ("volunteer", "CASUALTIES")], Count(1), None),
    ("The strike hit the car, killing the driver, Samir Abu Odeh, 52, and his three sons.",
     [("driver", "CASUALTIES"), ("Samir Abu Odeh", "CASUALTIES"), ("three sons", "CASUALTIES")], Count(4), None),
    ("The strike killed a Syrian crew member, the ship's electrician, and injured four sailors.",
     [("Syrian crew member", "CASUALTIES"), ("ship's electrician", "CASUALTIES"), ("four sailors", "CASUALTIES")], Count(1), Count(4)),
])
def test_casualty_counts(text, marked, killed, injured):
    assert casualty_counts(text, spans_of(text, marked), sentence_spans(text)) == (killed, injured)


def test_a_record_keeps_the_spans_each_value_came_from():
    text = "Two drones attacked the base on Sunday. Air defences shot them down; there was no damage."
    spans = spans_of(text, [("Two drones", "WEAPON"), ("attacked", "TRIGGER"), ("base", "TARGET"), ("Sunday", "TIME"),
                            ("Air defences", "INTERCEPTOR"), ("shot them down", "TRIGGER"), ("no damage", "DAMAGE")])
    [record] = build_incidents(text, spans, [(list(range(len(spans))), 1.0)], published="2024-01-09")
    assert record.time.iso == "2024-01-07" and record.time.span.text == "Sunday"
    assert record.intercepted and record.damaged is False
    assert [s.text for s in record.evidence["damaged"]] == ["no damage"]
    assert set(record.to_row()) == set(ROW_FIELDS) and record.to_row()["WEAPON"] == "Two drones"


def test_rule_baseline_makes_one_incident_per_trigger_sentence():
    text = "Officials spoke in Erbil. A rocket struck the airport. It came at night. A drone hit the base."
    spans = spans_of(text, [("Erbil", "LOCATION"), ("rocket", "WEAPON"), ("struck", "TRIGGER"), ("airport", "TARGET"),
                            ("night", "TIME"), ("drone", "WEAPON"), ("hit", "TRIGGER"), ("base", "TARGET")])
    groups = [members for members, _ in rule_grouping(text, spans)]
    # Erbil (before any trigger) joins the first trigger sentence; "night" joins the sentence before it.
    assert groups == [[0, 1, 2, 3, 4], [5, 6, 7]]


def test_template_scores_align_incidents_one_to_one():
    text = "A rocket struck the airport. A drone hit the base."
    gold_spans = spans_of(text, [("rocket", "WEAPON"), ("struck", "TRIGGER"), ("airport", "TARGET"), ("drone", "WEAPON"), ("hit", "TRIGGER"), ("base", "TARGET")],
                          [(1,), (1,), (1,), (2,), (2,), (2,)])
    gold = Document("d", text, tuple(gold_spans), "real", {"incidents": [{"event": 1, "time": None, "killed": None, "injured": None, "intercepted": False, "damaged": None}]})
    plain = [Span(s.start, s.end, s.label, s.text) for s in gold_spans]
    perfect = build_incidents(text, plain, rule_grouping(text, plain))
    assert template_scores([gold], {"d": perfect})["fillers"]["f1"] == 1.0
    merged = build_incidents(text, plain, [(list(range(6)), 1.0)])
    scores = template_scores([gold], {"d": merged})
    # One predicted incident aligns with one gold incident: 3 of 6 fillers match either way.
    assert scores["fillers"]["precision"] == 0.5 and scores["fillers"]["recall"] == 0.5
    assert scores["values"]["intercepted"] == {"right": 1, "stated": 1, "rate": 1.0}


def test_grouping_agreement_is_one_for_the_same_grouping_and_lower_otherwise():
    text = "A rocket struck the airport. A drone hit the base."
    first = spans_of(text, [("rocket", "WEAPON"), ("struck", "TRIGGER"), ("drone", "WEAPON"), ("hit", "TRIGGER")], [(1,), (1,), (2,), (2,)])
    second = spans_of(text, [("rocket", "WEAPON"), ("struck", "TRIGGER"), ("drone", "WEAPON"), ("hit", "TRIGGER")], [(1,), (1,), (1,), (1,)])
    same = grouping_agreement([Document("d", text, tuple(first))], [Document("d", text, tuple(first))])
    assert same["links"]["f1"] == 1.0 and same["b_cubed"]["f1"] == 1.0
    other = grouping_agreement([Document("d", text, tuple(first))], [Document("d", text, tuple(second))])
    assert other["links"]["recall"] == 1.0 and other["links"]["precision"] == pytest.approx(2 / 6)


def test_the_timeline_merges_one_incident_told_twice_and_keeps_two_on_one_day_apart():
    first = "A drone struck an oil refinery in Erbil on Tuesday. Two workers were injured."
    second = "Iraqi officials said a drone hit the Erbil refinery on Tuesday. Separately, rockets hit a base in Anbar on Tuesday."
    records_first = build_incidents(first, spans_of(first, [("drone", "WEAPON"), ("struck", "TRIGGER"), ("oil refinery", "TARGET"), ("Erbil", "LOCATION"),
                                                            ("Tuesday", "TIME"), ("Two workers", "CASUALTIES")]), [(list(range(6)), 1.0)], "2024-01-11")
    second_spans = spans_of(second, [("drone", "WEAPON"), ("hit", "TRIGGER"), ("Erbil refinery", "TARGET"), ("Tuesday", "TIME"),
                                     ("rockets", "WEAPON"), ("hit", "TRIGGER"), ("base", "TARGET"), ("Anbar", "LOCATION"), ("Tuesday", "TIME")])
    records_second = build_incidents(second, second_spans, [([0, 1, 2, 3], 1.0), ([4, 5, 6, 7, 8], 1.0)], "2024-01-10")
    rows = merge_records([("a.txt", records_first), ("b.txt", records_second)])
    assert [(row.time, row.sources) for row in rows] == [("2024-01-09", ["a.txt", "b.txt"]), ("2024-01-09", ["b.txt"])]
    merged = rows[0].to_dict()
    assert merged["injured"] == {"count": 2, "at_least": False} and "Erbil" in merged["places"]


def test_extract_incidents_on_a_seed_article(extractor):
    text = (SEEDS_DIR / "000_16352e49a1ab6733.txt").read_text(encoding="utf-8")
    assert extractor.grouping is not None, "the test model learns its grouping in conftest"
    records = extract_incidents(text, extractor=extractor)
    spans = {(s.start, s.end, s.label) for s in extractor.predict(text)}
    assert records and [r.id for r in records] == list(range(1, len(records) + 1))
    for record in records:
        assert {(s.start, s.end, s.label) for s in record.spans} <= spans
        for evidence in record.evidence.values():
            assert set(evidence) <= set(record.spans)
    covered = {(s.start, s.end, s.label) for r in records for s in r.spans}
    assert covered == spans  # every span fills some incident
    rules = extract_incidents(text, extractor=extractor, grouping="rules")
    assert {(s.start, s.end) for r in rules for s in r.spans} == {(s[0], s[1]) for s in spans}


def run_cli(*args, input=None):
    return subprocess.run([sys.executable, "-m", "eventslots", *args], capture_output=True, text=True, input=input, timeout=300)


def test_incidents_command_writes_jsonl_csv_and_a_merged_timeline(trained_model_dir, tmp_path, extractor):
    import csv

    text = (SEEDS_DIR / "000_16352e49a1ab6733.txt").read_text(encoding="utf-8")
    (tmp_path / "one.txt").write_text(text, encoding="utf-8")
    (tmp_path / "two.txt").write_text(text, encoding="utf-8")
    model = ["--model", str(trained_model_dir)]
    lines = run_cli("incidents", str(tmp_path / "one.txt"), "--published", "2024-01-05", *model)
    assert lines.returncode == 0, lines.stderr
    [record] = [json.loads(line) for line in lines.stdout.splitlines()]
    assert record["incidents"] == [r.to_dict() for r in extract_incidents(text, "2024-01-05", extractor)]
    table = run_cli("incidents", str(tmp_path / "one.txt"), "--format", "csv", *model)
    rows = list(csv.DictReader(table.stdout.splitlines()))
    assert rows and list(rows[0]) == ["file", *ROW_FIELDS]
    merged = run_cli("incidents", "--merge", str(tmp_path), "--published", "2024-01-05", *model)
    timeline = [json.loads(line) for line in merged.stdout.splitlines()]
    # Every record of both articles is in exactly one row, and a row never holds two records of one article
    # (the tiny test model tags no dates, so nothing merges here; the merging rule is tested above).
    assert sum(len(row["records"]) for row in timeline) == 2 * len(record["incidents"])
    assert all(len(row["sources"]) == len(row["records"]) for row in timeline)


@pytest.mark.parametrize("args, message", [
    (["--published", "5 Jan"], "is not an ISO date"),
    (["--merge", "/nonexistent"], "not a directory"),
])
def test_incidents_command_bad_input_is_one_line(trained_model_dir, args, message):
    run = run_cli("incidents", *args, "--model", str(trained_model_dir), input="A drone hit the base.")
    assert run.returncode == 1 and message in run.stderr and "Traceback" not in run.stderr
