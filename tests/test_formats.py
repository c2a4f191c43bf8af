"""Seed corpus -> each interchange format -> back is the identity; imports are validated and never overwrite."""

from __future__ import annotations

import json

import pytest

from eventslots.cli.main import main
from eventslots.training.corpus import AnnotationError
from eventslots.training.corpus.formats import FORMATS, import_annotations


def _round_trip(documents, format, tmp_path):
    reader, writer = FORMATS[format]
    path = tmp_path / f"export.{format}"
    path.write_text(writer(documents), encoding="utf-8")
    return [document for _, document in reader(path)]


@pytest.mark.parametrize("format", ["labelstudio", "doccano", "conll", "markup"])
def test_seed_corpus_round_trip_is_identity(seed_documents, format, tmp_path):
    assert len(seed_documents) == 5
    back = _round_trip(seed_documents, format, tmp_path)
    assert back == seed_documents  # ids, texts, spans and sources
    assert [d.meta for d in back] == [d.meta for d in seed_documents]


def test_round_trip_keeps_metadata_and_odd_whitespace(tmp_path):
    from eventslots.model.spans import Span
    from eventslots.training.corpus import Document

    text = "  Drone\u00a0strike\t on [Kyiv] |today|.\r\n\n"
    spans = (Span(2, 7, "WEAPON", "Drone"), Span(8, 14, "TRIGGER", "strike"), Span(20, 24, "TARGET", "Kyiv"))
    doc = Document("odd", text, spans, "authored", {"style": "breaking item", "attacks": ["drone"]})
    for format in ("labelstudio", "doccano", "conll"):
        back = _round_trip([doc], format, tmp_path)
        assert back == [doc] and back[0].meta == doc.meta, format


def test_label_studio_reads_first_annotation_not_cancelled(tmp_path):
    task = {
        "id": 7,
        "data": {"text": "Rockets hit Sderot."},
        "annotations": [
            {"was_cancelled": True, "result": []},
            {"result": [{"type": "labels", "from_name": "label", "to_name": "text",
                         "value": {"start": 0, "end": 7, "text": "Rockets", "labels": ["WEAPON"]}}]},
        ],
    }
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task]))
    [(line, document)] = FORMATS["labelstudio"][0](path)
    assert document.id == "labelstudio-7" and [s.text for s in document.spans] == ["Rockets"]


def test_doccano_accepts_label_and_labels_keys(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(
        json.dumps({"id": 1, "text": "Mortars hit Goma.", "label": [[0, 7, "WEAPON"]]}) + "\n"
        + json.dumps({"id": 2, "text": "Mortars hit Goma.", "labels": [[12, 16, "TARGET"]]}) + "\n"
    )
    documents = [d for _, d in FORMATS["doccano"][0](path)]
    assert [(d.id, d.spans[0].text) for d in documents] == [("1", "Mortars"), ("2", "Goma")]


def test_plain_conll_from_another_tool(tmp_path):
    path = tmp_path / "plain.conll"
    path.write_text("-DOCSTART- -X- -X- O\n\nGunmen NNS B-NP B-ATTACKER\nattacked VBD B-VP B-TRIGGER\nMosul NNP B-NP I-TARGET\n. . O O\n\n")
    [(line, document)] = FORMATS["conll"][0](path)
    assert document.text == "Gunmen attacked Mosul ."
    assert [(s.text, s.label) for s in document.spans] == [("Gunmen", "ATTACKER"), ("attacked", "TRIGGER"), ("Mosul", "TARGET")]


def test_import_validates_before_writing(tmp_path):
    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps({"text": "The drone fell.", "label": [[0, 9, "WEAPON"]]}) + "\n")
    output = tmp_path / "out.jsonl"
    with pytest.raises(AnnotationError) as error:
        import_annotations(source, "doccano", output, annotation_paths=[tmp_path / "none"])
    assert f"{source}:1: bad-1: [0:9 WEAPON]: 'The drone' starts with the determiner 'the'" in str(error.value)
    assert not output.exists()


def test_import_never_overwrites(tmp_path, tiny_file):
    output = tmp_path / "out.jsonl"
    output.write_text("precious\n")
    doccano = tmp_path / "in.jsonl"
    doccano.write_text(json.dumps({"id": "new-1", "text": "Shelling hit Kherson.", "label": [[0, 8, "TRIGGER"]]}) + "\n")
    with pytest.raises(FileExistsError):
        import_annotations(doccano, "doccano", output, annotation_paths=[tmp_path / "none"])
    assert output.read_text() == "precious\n"


def test_import_rejects_ids_already_in_the_corpus(tmp_path, tiny_file):
    doccano = tmp_path / "in.jsonl"
    doccano.write_text(json.dumps({"id": "tiny-1", "text": "Shelling hit Kherson.", "label": []}) + "\n")
    with pytest.raises(AnnotationError, match="document id already used"):
        import_annotations(doccano, "doccano", tmp_path / "out.jsonl", annotation_paths=[tiny_file])


def test_cli_export_then_import(tmp_path, capsys):
    exported = tmp_path / "seeds.json"
    assert main(["annotations", "export", "annotations/seeds", "--format", "labelstudio", "--output", str(exported)]) == 0
    assert main(["annotations", "export", "annotations/seeds", "--format", "labelstudio", "--output", str(exported)]) == 1
    # Importing the seeds again under the same ids is refused: they are already in annotations/.
    assert main(["annotations", "import", str(exported), "--format", "labelstudio", "--output", str(tmp_path / "x.jsonl")]) == 1
    assert "document id already used" in capsys.readouterr().err


def _labelstudio_task(text: str, start: int, end: int, surface: str) -> str:
    import json

    return json.dumps([{"id": 1, "data": {"text": text}, "annotations": [{"result": [
        {"type": "labels", "from_name": "label", "to_name": "text",
         "value": {"start": start, "end": end, "text": surface, "labels": ["WEAPON"]}}]}]}])


def test_labelstudio_offsets_in_utf16_units_are_converted(tmp_path):
    from eventslots.training.corpus.formats import labelstudio

    text = "🚀 Two drones hit the base."
    # A browser counts the rocket emoji as two UTF-16 units, so "Two drones" is at 3-13 there, 2-12 in Python.
    path = tmp_path / "ls.json"
    path.write_text(_labelstudio_task(text, 3, 13, "Two drones"), encoding="utf-8")
    [(_, document)] = labelstudio.read(path)
    assert [(s.start, s.end, s.text) for s in document.spans] == [(2, 12, "Two drones")]


def test_labelstudio_span_whose_words_do_not_match_is_refused(tmp_path):
    from eventslots.training.corpus import AnnotationError
    from eventslots.training.corpus.formats import labelstudio

    path = tmp_path / "ls.json"
    path.write_text(_labelstudio_task("Two drones hit the base.", 4, 14, "Two drones"), encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"ls.json:1: .*says 'Two drones' but the text there is 'drones hit'"):
        labelstudio.read(path)


AWKWARD = {
    "brackets, bars and backslashes": ("Rockets [hit] the | base \\ today.", {}),
    "origin object": ("Rockets hit.", {"origin": {"corpus": "muc4", "id": "X-1"}, "split": "real-dev"}),
    "strings that look like JSON": ("Rockets hit.", {"note": "[draft]", "q": '"quoted"', "pad": " x "}),
    "attack list": ("Rockets hit.", {"attacks": ["air strike", "drone strike"]}),
    "empty list": ("Rockets hit.", {"attacks": []}),
    "carriage return": ("Rockets hit.\r\nAgain.", {}),
    "line break in metadata": ("Rockets hit.", {"note": "a\nb"}),
    "tabs and blank lines": ("Rockets\thit.\n\n\nAgain.", {}),
    "astral characters": ("🚀 Ракеты hit.", {}),
    "spaces around the text": ("   Rockets hit.   ", {}),
    "leading line break": ("\nRockets hit.", {}),
    "a line like a header": ("Rockets hit.\n=== not a document", {}),
    "a first line like the metadata end": ("---\nRockets hit.", {}),
    "a number in metadata": ("Rockets hit.", {"n": 3}),
}


@pytest.mark.parametrize("case", sorted(AWKWARD))
def test_markup_round_trip_is_lossless_or_refused(tmp_path, case):
    from eventslots.model.spans import Span
    from eventslots.training.corpus import Document
    from eventslots.training.corpus.formats import markup

    text, meta = AWKWARD[case]
    start = text.index("R") if "R" in text else text.index("Р")
    spans = (Span(start, start + 7, "WEAPON", text[start : start + 7], event=(1, 2)),)
    document = Document("doc-1", text, spans, "user", meta)
    try:
        rendered = markup.render([document])
    except markup.MarkupError as error:
        assert "doc-1" in str(error) and "losslessly" in str(error)
        return
    path = tmp_path / "doc.txt"
    path.write_text(rendered, encoding="utf-8", newline="")
    [(_, back)] = markup.read(path)
    assert (back.id, back.text, back.source, back.meta) == (document.id, document.text, document.source, document.meta)
    assert [(s.start, s.end, s.label, s.event) for s in back.spans] == [(s.start, s.end, s.label, s.event) for s in spans]


def test_a_markup_error_on_import_is_one_line_naming_file_and_line(tmp_path, capsys):
    from eventslots.cli.main import main

    source = tmp_path / "m.txt"
    source.write_text("=== x\n---\n[Rockets|WEAPON hit.\n", encoding="utf-8")
    assert main(["annotations", "import", "--format", "markup", "--output", str(tmp_path / "o.jsonl"), str(source)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"{source}:3: x: ") and "\n" not in error and not (tmp_path / "o.jsonl").exists()


def test_doccano_reports_every_malformed_line_with_file_and_line(tmp_path):
    from eventslots.training.corpus import AnnotationError
    from eventslots.training.corpus.formats import doccano

    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "Rockets hit.", "label": []}\n{"text": 5}\n{bad json\n'
                    '{"text": "Rockets hit.", "label": [["a", 3, "WEAPON"]]}\n', encoding="utf-8")
    with pytest.raises(AnnotationError) as raised:
        doccano.read(path)
    lines = str(raised.value).splitlines()
    assert [line.split(": ")[0] for line in lines if line.startswith(str(path))] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    assert "invalid JSON" in str(raised.value) and "JSONDecodeError(" not in str(raised.value)


@pytest.mark.parametrize("format, content, problem", [
    ("conll", b"Rockets B-WEAPON\nhit O\n\ncaf\xe9 O\n", ":4: -: -: not UTF-8 text"),
    ("markup", b"=== a\n---\nRockets hit\xff.\n", ":3: -: -: not UTF-8 text"),
    ("labelstudio", b'[{"data": {"text": "Rockets hit."}, "annotations": [{"result": [{"type": "labels", '
                    b'"value": {"start": 0, "end": 7, "text": "Rockets", "labels": "WEAPON"}}]}]}]', ":1: labelstudio-1: -: 'labels' must be a list"),
    ("labelstudio", b'[{"data": {"text": 5}, "annotations": []}]', ":1: labelstudio-1: -: the task's 'text' is not text"),
])
def test_every_importer_names_file_and_line_for_bad_input(tmp_path, format, content, problem):
    from eventslots.training.corpus import AnnotationError
    from eventslots.training.corpus.formats import import_annotations

    path = tmp_path / "input"
    path.write_bytes(content)
    with pytest.raises(AnnotationError) as raised:
        import_annotations(path, format, tmp_path / "out.jsonl")
    assert f"{path}{problem}" in str(raised.value)
    assert not (tmp_path / "out.jsonl").exists()
