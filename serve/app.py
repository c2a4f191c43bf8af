"""The Gradio app: paste an article, see its slots, correct them, save the correction for retraining."""

from __future__ import annotations

import csv
import hashlib
import logging
import tempfile
from pathlib import Path

import gradio as gr

from eventslots.model import store
from eventslots.model.incidents import ROW_FIELDS, analyse_batch, has_incident_slots
from eventslots.model.inference import Extractor, ModelNotFoundError
from eventslots.model.normalise import as_date
from eventslots.model.paths import SEEDS_DIR
from eventslots.model.schema import DEFAULT_SCHEMA, Schema
from eventslots.model.spans import Span

from .holder import ModelHolder
from .editing import (
    SELECTION_PLACEHOLDER,
    TABLE_HEADERS,
    EditError,
    add_span,
    corrections_root,
    from_highlight,
    from_table,
    highlight_pairs,
    save_correction,
    to_highlight,
    to_table,
)

log = logging.getLogger("eventslots.serve")

# A long feature article is ~30,000 characters; 100,000 leaves room and bounds the work of one request.
MAX_CHARS = 100_000
MAX_UPLOAD = "1mb"  # README: "Uploads"
CONCURRENCY = 2  # the machine this runs on has two cores; more requests only queue

CSS = """
#legend-note {font-size: 0.9em; opacity: 0.85}
#highlighted .textfield, #highlighted .textspan {word-break: normal !important; overflow-wrap: normal !important}
.gradio-container {max-width: 1400px !important}
"""


def seed_examples() -> tuple[list[list[str]], list[str]]:
    paths = sorted(SEEDS_DIR.glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in paths]
    labels = [f"{p.stem[:3]}: {t.strip().splitlines()[0][:70]}…" for p, t in zip(paths, texts)]
    return [[t] for t in texts], labels


def user_error(message: str, title: str, log_line: str | None = None) -> gr.Error:
    """An error the user made or must act on: shown on the page, one line in the server's log (``log_line``
    where the log should say more than the page, such as a server path), no traceback."""
    log.warning("%s: %s", title, log_line or message)
    return gr.Error(message, title=title, print_exception=False)


def check_article(text: str | None) -> str:
    text = text or ""
    if not text.strip():
        raise user_error("Paste an article first: the text box is empty.", title="Nothing to read")
    if len(text) > MAX_CHARS:
        raise user_error(
            f"The text has {len(text):,} characters; the app reads at most {MAX_CHARS:,}. "
            "Split it, or use predict() or `eventslots predict`, which have no limit.",
            title="Text too long",
        )
    return text


def outputs_for(text: str, spans: list[Span], note: str, schema: Schema = DEFAULT_SCHEMA):
    counts = {label: sum(s.label == label for s in spans) for label in schema.label_names}
    summary = ", ".join(f"{n} {label}" for label, n in counts.items() if n) or "no slots"
    return (
        to_highlight(text, spans),
        to_table(spans),
        [s.to_dict() for s in spans],
        f"{note} {len(spans)} span(s): {summary}.",
        {"text": text, "spans": [s.to_dict() for s in spans]},
    )


def hidden_note(every: list[Span], shown: list[Span], min_score) -> str:
    """What to tell a user who sees none of the spans the model decoded (``every``) because its own
    threshold and trigger gate hid them (an explicit threshold hides only what the user asked it to)."""
    if shown or min_score or not every:
        return ""
    return (f" The model is not confident of an attack here: its threshold and trigger gate hide {len(every)} tentative "
            "span(s); set 'Hide spans scoring below' above 0 to see them.")


def _spans(state) -> list[Span]:
    return [Span(**s) for s in (state or {}).get("spans", [])]


def write_incidents_csv(rows: list[dict], folder: Path) -> Path:
    """The incidents table as a CSV file named by its content (a download link never changes under a user)."""
    body = [list(ROW_FIELDS)] + [[row[field] for field in ROW_FIELDS] for row in rows]
    digest = hashlib.sha256(repr(body).encode()).hexdigest()[:12]
    path = folder / f"incidents-{digest}.csv"
    if not path.exists():
        temporary = path.with_suffix(".tmp")
        with open(temporary, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(body)
        temporary.replace(path)
    return path


def build_app(model_dir: str | Path | None = None, annotations_dir: str | Path | None = None, backend: str | None = None) -> gr.Blocks:
    holder = ModelHolder(model_dir, backend)
    downloads = Path(tempfile.mkdtemp(prefix="eventslots-incidents-"))
    try:
        # The page is built for the model's labels (legend, colours, label box); a model of another
        # schema published later shows after a restart.
        schema = holder.schema()
    except store.ModelStoreError as error:
        log.warning("the model's schema cannot be read (%s): the page shows the default labels", error)
        schema = DEFAULT_SCHEMA
    # Incident records are built from the attack slots; a model of another schema has none.
    with_incidents = has_incident_slots(schema)

    def model() -> Extractor:
        """The loaded model, or a message on the page saying what to do (the log names a broken file)."""
        try:
            return holder.get()
        except ModelNotFoundError:
            raise user_error("There is no trained model yet: run `eventslots train`, then try again.", title="No model",
                             log_line=f"no model at {holder.location}")
        except store.ModelStoreError as error:
            # The server's log names the file; the page does not show server paths.
            raise user_error("The model cannot be loaded (the server's log says which file is broken); "
                             "retrain it or run `eventslots models rollback`.", title="Broken model", log_line=str(error))

    def records_of(text: str, spans: list[Span] | None, published: str | None):
        try:
            as_date(published or None)
        except ValueError as error:
            raise user_error(str(error), title="Published date")
        return analyse_batch([text], published or None, model(), spans=None if spans is None else [spans])[0]

    def incidents_for(state, published):
        """The incidents table of the spans shown (edited or extracted), and its CSV download."""
        text = (state or {}).get("text", "")
        if not text or not with_incidents:
            return [], gr.update(value=None, interactive=False)
        _, records = records_of(text, _spans(state), published)
        rows = [r.to_row() for r in records]
        return [[row[f] for f in ROW_FIELDS] for row in rows], gr.update(value=str(write_incidents_csv(rows, downloads)), interactive=True)

    def incidents_api(text: str, published: str = "") -> list[dict]:
        """Incident records of an article (``extract_incidents``): values, slots and spans of each attack."""
        text = check_article(text)
        if not with_incidents:
            raise user_error(f"Incident records need the attack slots; this model tags the {schema.name} schema.", title="No incidents")
        return [r.to_dict() for r in records_of(text, None, published)[1]]

    def extract(text, min_score=0.0):
        text = check_article(text)
        # 0 leaves the choice to the model: its calibrated threshold and trigger gate, if it has them.
        extractor = model()
        # One reading: every span decoded, then the spans predict(text, min_score) would return.
        every = extractor.predict(text, 0.0)
        spans = extractor.keep(every, float(min_score) if min_score else None)
        return outputs_for(text, spans, "Extracted." + hidden_note(every, spans, min_score), schema)

    def edited_highlight(value, selection_label, state):
        text = (state or {}).get("text", "")
        try:
            spans = from_highlight(value, text, _spans(state), selection_label, schema)
        except EditError as error:
            return gr.skip(), gr.skip(), gr.skip(), f"⚠️ {error}", gr.skip()
        if [(s.start, s.end, s.label) for s in spans] == [(s.start, s.end, s.label) for s in _spans(state)]:
            # The change came from the app itself (a new extraction), not from the user.
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        highlight, table, data, note, new_state = outputs_for(text, spans, "Edited.", schema)
        # Redrawn only when a selection took the Label box's label; otherwise the widget already shows it.
        selected = any(label and str(label).upper() == SELECTION_PLACEHOLDER for _, label in highlight_pairs(value))
        return (highlight if selected else gr.skip()), table, data, note, new_state

    def edited_table(rows, state):
        text = (state or {}).get("text", "")
        try:
            spans = from_table(rows, text, schema)
        except EditError as error:
            return gr.skip(), gr.skip(), f"⚠️ {error}", gr.skip()
        highlight, _, data, note, new_state = outputs_for(text, spans, "Edited.", schema)
        return highlight, data, note, new_state

    def added(label, surface, occurrence, state):
        text = (state or {}).get("text", "")
        if not text:
            raise user_error("Extract an article first.", title="Nothing to correct")
        try:
            spans = add_span(text, _spans(state), label, surface or "", int(occurrence or 1), schema)
        except EditError as error:
            raise user_error(str(error), title="Span not added")
        return outputs_for(text, spans, f"Added {label} {surface.strip()!r}.", schema)

    def saved(name, state):
        text = (state or {}).get("text", "")
        try:
            path = save_correction(text, _spans(state), name or "", corrections_root(annotations_dir, schema), schema=schema)
        except EditError as error:
            gr.Warning(str(error), title="Not saved")
            # Replaces any earlier success: the page never says saved when this save failed.
            return f"⚠️ Not saved: {error}"
        log.info("saved a correction to %s", path)
        # The user sees where it lives in the workspace, not the server's absolute path.
        return f"✅ Saved **{path.parent.parent.name}/{path.parent.name}/{path.name}** ({len(_spans(state))} spans). Run `eventslots train` to learn from it."

    legend = " · ".join(f"**{l.name}**: {l.description}" for l in schema.labels)
    examples, example_labels = seed_examples()
    introduction = (
        "Paste an English news article about an attack; the tagger marks who attacked, "
        "with what, at what target, where, when, who intercepted it, and the casualties and damage."
        if schema == DEFAULT_SCHEMA else
        f"Paste an article; this model tags the {schema.name} schema's slots ({', '.join(schema.label_names)}). {schema.description}"
    )
    with gr.Blocks(title=f"eventslots: {schema.name} slots") as demo:
        gr.Markdown(f"# eventslots\n{introduction}", elem_id="introduction")
        state = gr.State({"text": "", "spans": []})
        with gr.Row():
            with gr.Column(scale=2):
                article = gr.Textbox(
                    label=f"Article (up to {MAX_CHARS:,} characters)", lines=14, max_lines=30,
                    placeholder="Paste an article here, or pick a seed article below.", elem_id="article",
                )
                published = gr.Textbox(
                    label="Published (optional, e.g. 2020-01-03)", max_lines=1, elem_id="published",
                    info="Resolves 'Thursday' or 'yesterday' in the incidents table; a dateline in the text is used otherwise.",
                )
                min_score = gr.Slider(
                    0.0, 1.0, value=0.0, step=0.05, label="Hide spans scoring below",
                    info="A span's score is the probability it is exactly right (calibrated on real-dev). "
                    "0: the model's own threshold and trigger gate (a text with no trigger it is sure of shows no spans).",
                    elem_id="min-score",
                )
                with gr.Row():
                    extract_button = gr.Button("Extract slots", variant="primary", elem_id="extract")
                    clear_button = gr.ClearButton(value="Clear")
                gr.Examples(examples=examples, inputs=[article], example_labels=example_labels, label="Seed articles")
            with gr.Column(scale=3):
                status = gr.Markdown("", elem_id="status")
                model_info = gr.Markdown("", elem_id="model-info")
                highlighted = gr.HighlightedText(
                    label="Slots (select text to add a span, click a span to relabel or remove it)",
                    color_map=dict(schema.colours), show_legend=True, combine_adjacent=False, interactive=True, elem_id="highlighted",
                )
                gr.Markdown(legend, elem_id="legend-note")
                incidents_table = gr.Dataframe(
                    headers=list(ROW_FIELDS), interactive=False, wrap=True, elem_id="incidents-table", visible=with_incidents,
                    label="Incidents: one row per attack, from the spans above (counts with >= are 'at least')",
                )
                incidents_csv = gr.DownloadButton("Download incidents (CSV)", value=None, interactive=False, elem_id="incidents-csv",
                                                  visible=with_incidents)
        with gr.Tabs():
            with gr.Tab("Spans"):
                table = gr.Dataframe(
                    headers=TABLE_HEADERS, datatype=["str", "str", "number", "number", "number"], interactive=True,
                    label="Spans: edit a label or offsets; clear a label to delete the span", elem_id="spans-table",
                )
            with gr.Tab("JSON"):
                as_json = gr.JSON(label="predict() output")
        with gr.Accordion("Correct and save as a training annotation", open=True):
            with gr.Row():
                add_label = gr.Dropdown(choices=list(schema.label_names), label="Label", elem_id="add-label")
                add_text = gr.Textbox(label="Exact words to tag", elem_id="add-text")
                add_occurrence = gr.Number(value=1, precision=0, minimum=1, label="Occurrence", elem_id="add-occurrence")
                add_button = gr.Button("Add span", elem_id="add-span")
            with gr.Row():
                name = gr.Textbox(label="Name of the annotation file", placeholder="e.g. drone attack on Erbil airport", elem_id="save-name")
                save_button = gr.Button("Save as new annotation", variant="secondary", elem_id="save")
            saved_status = gr.Markdown("", elem_id="saved-status")

        results = [highlighted, table, as_json, status, state]
        incidents_out = [incidents_table, incidents_csv]
        extract_button.click(extract, [article, min_score], results, api_name="extract", concurrency_limit=CONCURRENCY).then(
            holder.describe, None, [model_info], api_visibility="private")
        article.submit(extract, [article, min_score], results, api_visibility="private", concurrency_limit=CONCURRENCY).then(
            holder.describe, None, [model_info], api_visibility="private")
        # The table follows the spans shown: after an extraction and after every correction.
        state.change(incidents_for, [state, published], incidents_out, api_visibility="private", concurrency_limit=CONCURRENCY)
        published.submit(incidents_for, [state, published], incidents_out, api_visibility="private", concurrency_limit=CONCURRENCY)
        gr.api(incidents_api, api_name="incidents", concurrency_limit=CONCURRENCY)
        demo.load(holder.describe, None, [model_info], api_visibility="private")
        highlighted.change(
            edited_highlight, [highlighted, add_label, state], [highlighted, table, as_json, status, state], api_visibility="private"
        )
        table.input(edited_table, [table, state], [highlighted, as_json, status, state], api_visibility="private")
        add_button.click(added, [add_label, add_text, add_occurrence, state], results, api_visibility="private")
        save_button.click(saved, [name, state], [saved_status], api_visibility="private")
        clear_button.add([article, highlighted, table, as_json, status, saved_status, incidents_table])
        clear_button.click(lambda: {"text": "", "spans": []}, None, [state], api_visibility="private")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64)
    return demo


def launch(demo: gr.Blocks, host: str, port: int, block: bool = True) -> gr.Blocks:
    # The app takes pasted text, not files; Gradio's upload route stays open, so it gets a small limit.
    demo.launch(server_name=host, server_port=port, css=CSS, prevent_thread_lock=not block, quiet=not block,
                max_file_size=MAX_UPLOAD)
    return demo


def serve(host: str = "127.0.0.1", port: int = 7860, model_dir: str | Path | None = None, backend: str | None = None,
          block: bool = True) -> gr.Blocks:
    return launch(build_app(model_dir, backend=backend), host, port, block)
