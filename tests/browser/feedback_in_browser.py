"""The feedback pages of `make grade` in a real browser, as a learner opens one on a phone.

Run by `make browser-test`. A class of three (full marks, one exercise wrong with a cell cut off,
a file that cannot be graded) is graded with `--json --feedback`; each page opens from disk in
Chromium with JavaScript off on a phone-sized screen, and must show what the JSON report says,
fit the screen's width, and ask for nothing beyond itself.
"""

import contextlib
import io
import json
import re

import nbformat
import pytest

from tests.browser.chromium import SCREENSHOTS, chromium_browser  # noqa: F401 (the fixture)
from tests.grading.__main__ import main
from tests.grading.assignments import ASSIGNMENTS
from tests.grading.feedback import page_name

GC = ASSIGNMENTS["gradient_checking"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    feedback = tmp_path_factory.mktemp("feedback")
    for learner in ("ada", "ben", "cy"):
        (folder / learner).mkdir()
    (folder / "ada" / GC.notebook).write_bytes(GC.path.read_bytes())
    notebook = nbformat.read(GC.path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "backward_propagation":
            cell.source = "def backward_propagation(x, theta):\n    return theta"
    notebook.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(60)"))
    nbformat.write(notebook, folder / "ben" / GC.notebook)
    (folder / "cy" / GC.notebook).write_text("{ not a notebook")
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        main(
            ["grade", str(folder), "--json", "--timeout", "3", "--feedback", str(feedback)]
            + ["--csv", str(feedback / "gradebook.csv")]
        )
    results = {r["notebook"].split("/")[-2]: r for r in json.loads(report.getvalue())}
    return feedback, results


@pytest.mark.parametrize("learner", ["ada", "ben", "cy"])
def test_a_feedback_page_shows_the_report_on_a_phone_with_no_script(browser, graded, learner):
    feedback, results = graded
    page_path = feedback / page_name(learner, GC.notebook)
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(page_path.as_uri())
    text = page.inner_text("body")
    page.screenshot(path=SCREENSHOTS / f"feedback-{learner}.png", full_page=True)
    assert learner in text and GC.notebook in text
    if learner == "cy":
        assert "Not graded" in text and "not a valid Jupyter notebook" in text
    else:
        result = results[learner]
        assert f"Score: {result['score']}/{result['max_score']}" in text
        shown = [
            name
            for name in re.findall(r"^\s*(\w+)\s*$", text, re.M)
            if name in {e["name"] for e in result["exercises"]}
        ]
        assert shown == [e["name"] for e in result["exercises"]], "in the notebook's order"
        for exercise in result["exercises"]:
            assert f"{exercise['points']}/{exercise['max_points']}" in text
            assert exercise["message"] in text
        for note in result["cut_off"]:
            assert note in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("document.scripts.length") == 0
    assert requested == [page_path.as_uri()], "the page asks for nothing beyond itself"
    context.close()


def test_the_graded_class_is_what_the_pages_describe(graded):
    _, results = graded
    assert results["ada"]["score"] == 8
    assert results["ben"]["cut_off"] and results["ben"]["score"] == 7
    assert "cy" not in results
