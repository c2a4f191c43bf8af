"""A real browser (Debian's Chromium, driven by Playwright) against the real app:
paste a seed article, extract, see highlighted slots, correct them, save the correction."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from eventslots.model.paths import SEEDS_DIR
from eventslots.training.corpus import load_documents

REPO_ROOT = Path(__file__).resolve().parent.parent

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a root user on a machine with no network beyond localhost (see field notes).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOT = REPO_ROOT / "reports" / "browser" / "app-highlighted.png"
FAILURE_SCREENSHOT = REPO_ROOT / "reports" / "browser" / "failure.png"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium for the browser test (see .ci/run)")
    pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)", allow_module_level=True)


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1200}
        )
        yield context.new_page()
        context.close()


def wait_for_text(page, selector: str, text: str, timeout: int = 120_000) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "([selector, text]) => (document.querySelector(selector)?.innerText || '').includes(text)",
            arg=[selector, text],
            timeout=timeout,
        )
    except PlaywrightTimeout:
        # Say what the page shows instead, so a failure in CI can be diagnosed from the log alone.
        FAILURE_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(FAILURE_SCREENSHOT), full_page=True)
        shown = page.locator(selector).inner_text() if page.locator(selector).count() else "(no element)"
        toasts = page.locator(".toast-body").all_inner_texts()
        raise AssertionError(f"{selector} never showed {text!r}; it shows {shown!r}; toasts: {toasts}") from None


def choose(page, dropdown: str, option: str) -> None:
    """Pick a Gradio dropdown option the way a user does: open the list and click the option."""
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_function(
        "([selector, option]) => document.querySelector(selector)?.value === option",
        arg=[f"{dropdown} input", option],
        timeout=30_000,
    )


def select_words(page, words: str) -> bool:
    """Select ``words`` in an unhighlighted stretch of the view with a real mouse drag; False where the
    view holds no such stretch."""
    box = page.evaluate(
        """async (words) => {
            const field = document.querySelector('#highlighted .textfield');
            const walker = document.createTreeWalker(field, NodeFilter.SHOW_TEXT);
            for (let text = walker.nextNode(); text; text = walker.nextNode()) {
                if (text.parentElement.closest('.highlighted, .label, .label-input, button')) continue;
                const at = text.textContent.indexOf(words);
                if (at < 0) continue;
                // Mouse coordinates are the viewport's: scroll, and measure only once the scroll and any
                // re-render have been laid out (measured before, a drag can start far from the words).
                text.parentElement.scrollIntoView({block: 'center', behavior: 'instant'});
                for (let frame = 0; frame < 3; frame++) await new Promise(requestAnimationFrame);
                if (!text.isConnected) return null;
                const range = document.createRange();
                range.setStart(text, at); range.setEnd(text, at + words.length);
                const r = range.getBoundingClientRect();
                return {x0: r.left + 1, x1: r.right - 1, y: r.top + r.height / 2};
            }
            return null;
        }""",
        words,
    )
    if not box:
        return False
    page.mouse.move(box["x0"] - 3, box["y"])
    page.mouse.move(box["x0"], box["y"], steps=2)  # enter the token first, as a hand would
    page.mouse.down()
    page.mouse.move(box["x1"], box["y"], steps=5)
    page.mouse.up()
    return True


def select_by_drag(page, words: str, tries: int = 3) -> bool:
    """Drag over ``words`` until the app reports the edit. A re-render that lands mid-drag (the view is
    redrawn once more after an edit) loses the selection, as it would a user's, who drags again; once the
    words are highlighted there is nothing left to drag, and the edit only has to be reported."""
    for attempt in range(tries):
        if not select_words(page, words):
            assert attempt > 0, f"{words!r} is not in an unhighlighted stretch of the view"
            break
        try:
            wait_for_text(page, "#status", "Edited.", timeout=15_000)
            return True
        except AssertionError:
            continue
    wait_for_text(page, "#status", "Edited.")
    return True


def test_paste_extract_correct_and_save(page, app_url, user_annotations, extractor):
    article = (SEEDS_DIR / "004_30bd4df8f24fa5f0.txt").read_text(encoding="utf-8")
    predicted = extractor.predict(article)

    page.goto(app_url)
    page.locator("#article textarea").fill(article)
    page.locator("#extract").click()
    wait_for_text(page, "#status", "Extracted.")

    highlighted = page.locator("#highlighted .token.highlighted")
    assert highlighted.count() == len(predicted) > 0
    assert highlighted.first.inner_text().strip() == predicted[0].text
    legend = page.locator("#highlighted .legend-item").all_inner_texts()
    assert "TRIGGER" in legend and "DAMAGE" in legend
    # The incidents table under the text: one row per record of extract_incidents, with a CSV download.
    from eventslots.model.incidents import extract_incidents

    records = extract_incidents(article, extractor=extractor)
    first_trigger = records[0].to_row()["TRIGGER"].split(" | ")[0]
    wait_for_text(page, "#incidents-table", first_trigger)
    table_text = page.locator("#incidents-table").inner_text()
    assert "intercepted" in table_text and "CASUALTIES" in table_text
    from eventslots.model.incidents import ROW_FIELDS

    assert page.locator("#incidents-table [role=gridcell]").count() == len(records) * len(ROW_FIELDS)
    with page.expect_download() as download:
        page.locator("#incidents-csv").click()
    import csv

    rows = list(csv.reader(download.value.path().read_text(encoding="utf-8").splitlines(keepends=True)))
    assert rows[0][:4] == ["incident", "time", "killed", "injured"] and len(rows) == len(records) + 1
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Correct: remove the first predicted span, relabel the next, add a missed one, save.
    highlighted.first.hover()  # the remove button shows on hover
    page.locator("#highlighted .remove-btn").first.click()
    wait_for_text(page, "#status", "Edited.")
    assert page.locator("#highlighted .token.highlighted").count() == len(predicted) - 1
    # Relabel: click a span and type its new label (the tiny model never predicts CASUALTIES).
    assert all(s.label != "CASUALTIES" for s in predicted)
    page.locator("#highlighted .token.highlighted").first.click()
    page.locator("#highlighted input.label-input").fill("CASUALTIES")
    page.keyboard.press("Enter")
    wait_for_text(page, "#status", "1 CASUALTIES")
    choose(page, "#add-label", "LOCATION")
    page.locator("#add-text textarea, #add-text input").first.fill("Iraqi capital")
    page.locator("#add-span").click()
    wait_for_text(page, "#status", "Added LOCATION 'Iraqi capital'")
    # Words never wrap in the middle in the highlighted view.
    assert page.eval_on_selector("#highlighted .textfield", "e => getComputedStyle(e).wordBreak") == "normal"
    # Select words with the mouse: they take the Label box's label (LOCATION). First let the view show the
    # span just added, so the words are not moved by that re-render mid-drag.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#highlighted .token.highlighted')].some(t => t.innerText.includes('Iraqi capital'))",
        timeout=120_000,
    )
    selected = select_by_drag(page, "investigation")
    wait_for_text(page, "#spans-table", "investigation")
    assert selected
    page.locator("#save-name textarea, #save-name input").first.fill("Browser test: rocket on the BDSC")
    page.locator("#save").click()
    wait_for_text(page, "#saved-status", "Saved")

    [saved] = list((user_annotations / "user").glob("*-browser-test-rocket-on-the-bdsc.jsonl"))
    [document] = load_documents([saved])
    added = (article.index("Iraqi capital"), article.index("Iraqi capital") + len("Iraqi capital"), "LOCATION")
    # The first prediction was removed; the added span replaces any prediction it overlaps.
    relabelled = predicted[1]
    kept = {(s.start, s.end, s.label) for s in predicted[2:] if s.end <= added[0] or added[1] <= s.start}
    [selected_span] = [(s.start, s.end, s.label) for s in document.spans if s.text == "investigation"]
    assert selected_span[2] == "LOCATION"
    expected = kept | {added, selected_span, (relabelled.start, relabelled.end, "CASUALTIES")}
    assert {(s.start, s.end, s.label) for s in document.spans} == expected
    assert document.text == article and document.source == "user"

    # Saving again under the same name is refused, the file is left as it was,
    # and the earlier success message gives way to the failure.
    before = saved.read_bytes()
    page.locator("#save").click()
    wait_for_text(page, "#saved-status", "Not saved")
    assert "Saved" not in page.locator("#saved-status").inner_text().replace("Not saved", "")
    assert "already exists in annotations/user" in page.locator("#saved-status").inner_text()
    assert str(user_annotations) not in page.content()  # no server paths on the page
    assert saved.read_bytes() == before


def test_a_model_of_another_schema_shows_its_labels(page, muc4_app, muc4_model_dir):
    """The MUC-4 model in the app: its five labels in the legend and the label box, its spans highlighted."""
    from eventslots.model.inference import Extractor

    url, _ = muc4_app
    extractor = Extractor.load(muc4_model_dir)
    labels = list(extractor.schema.label_names)
    article = load_documents([REPO_ROOT / "tests" / "fixtures" / "muc4-tiny.jsonl"], schema=extractor.schema)[3].text
    page.goto(url)
    wait_for_text(page, "#legend-note", "PerpOrg")
    assert all(f"{label}:" in page.locator("#legend-note").inner_text() for label in labels)
    page.locator("#article textarea").fill(article)
    page.locator("#extract").click()
    wait_for_text(page, "#status", "Extracted.")
    predicted = extractor.predict(article)
    assert page.locator("#highlighted .token.highlighted").count() == len(predicted) > 0
    assert set(page.locator("#highlighted .legend-item").all_inner_texts()) == set(labels)
    assert not page.locator("#incidents-table").is_visible()
    page.locator("#add-label input").click()
    assert [o.replace("✓", "").strip() for o in page.get_by_role("option").all_inner_texts()] == labels
