"""Every course notebook keeps the shared anatomy (learning goals, setup, exercises marked up as
README's "How exercises and checks work" says, what to remember) and honest stored outputs.

nbval re-executes the notebooks and compares every output; these tests check what nbval cannot:
that each exercise is marked up for release and grading, and that each "Expected output" block
shown to the learner is what the code above it really printed.
"""

import re

import nbformat
import pytest

from tests.execute_notebooks import course_notebooks

NOTEBOOK_PATHS = course_notebooks()
SECTIONS = ("**Learning goals", "## 0 - Setup", "## What to remember", "## Going further")


def load(path):
    return nbformat.read(path, as_version=4)


def printed(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def exercises(notebook):
    """Yield (name, solution cell, check cell) for every '### Exercise N - name' heading."""
    cells = notebook.cells
    for index, cell in enumerate(cells):
        match = re.search(r"^### Exercise \d+ - (\w+)", cell.source, re.M)
        if cell.cell_type == "markdown" and match:
            code = [c for c in cells[index + 1 :] if c.cell_type == "code"]
            yield match.group(1), code[0], code[1]


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_has_the_course_anatomy(path):
    markdown = "\n".join(c.source for c in load(path).cells if c.cell_type == "markdown")
    assert markdown.startswith("# ")
    for section in SECTIONS:
        assert section in markdown, f"{path.name} lacks {section}"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_stored_outputs_are_complete_and_free_of_errors(path):
    code = [c for c in load(path).cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), (
        f"{path.name} was not executed top to bottom in one run: run `make notebooks`"
    )
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", f"stored error in {cell.source[:60]!r}"
            assert not (output.output_type == "stream" and output.name == "stderr"), (
                f"a warning reached the output of {cell.source[:60]!r}: {output.text[:200]}"
            )


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_expected_output_blocks_are_what_the_cell_above_printed(path):
    cells = load(path).cells
    blocks = 0
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown" or "**Expected output**" not in cell.source:
            continue
        expected = re.search(r"```text\n(.*?)```", cell.source, re.S).group(1)
        above = [c for c in cells[:index] if c.cell_type == "code"][-1]
        assert printed(above) == expected, f"{path.name}: expected output differs from the run"
        blocks += 1
    assert blocks == len(list(exercises(load(path))))


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_every_exercise_is_marked_up_for_release_and_grading(path):
    notebook = load(path)
    grade_ids = []
    for name, solution, check in exercises(notebook):
        meta = solution.metadata.get("nbgrader", {})
        assert meta.get("solution") is True and meta.get("grade_id") == name, name
        assert meta.get("schema_version") == 3
        source = solution.source
        assert source.count("### BEGIN SOLUTION") == 1 and source.count("### END SOLUTION") == 1
        assert source.index("### BEGIN SOLUTION") < source.index("### END SOLUTION")
        assert f"def {name}(" in source
        assert re.search(r"# \(about \d+ lines?\)", source), f"{name} has no length hint"
        check_meta = check.metadata.get("nbgrader", {})
        assert check_meta.get("grade") is True and check_meta.get("points", 0) > 0, name
        assert f"{name}_test({name})" in check.source
        assert "All tests passed." in printed(check)
        grade_ids += [meta["grade_id"], check_meta["grade_id"]]
    assert len(grade_ids) == len(set(grade_ids)), "grade_id values must be unique"
