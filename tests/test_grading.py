"""The instructor workflow: learner copies made from the solutions, and per-exercise grading."""

import csv
import hashlib
import json
import random
import re
import time

import nbformat
import pytest

from tests.grading import grade as grading
from tests.grading.__main__ import main
from tests.grading.assignments import ASSIGNMENTS, recognise
from tests.grading.grade import grade_all
from tests.grading.hidden import HIDDEN_CASES, checks_of, hidden_cases, without_numbers
from tests.grading.release import learner_copy, release, strip_solutions
from tests.hostile_submissions import GIVEN_CODE, slug

GRADIENT_CHECKING = ASSIGNMENTS["gradient_checking"]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def with_solution(assignment, name, body):
    """The assignment's notebook with the solution of exercise ``name`` replaced by ``body``."""
    notebook = nbformat.read(assignment.path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == name:
            cell.source = re.sub(
                r"(### BEGIN SOLUTION\n).*?(\n[ \t]*### END SOLUTION)",
                lambda m: m[1] + body + m[2],
                cell.source,
                flags=re.S,
            )
    return notebook


def write(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    release(ASSIGNMENTS.values(), out)
    return out


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_learner_copy_is_the_source_minus_the_solutions(released, name):
    assignment = ASSIGNMENTS[name]
    source = nbformat.read(assignment.path, as_version=4)
    copy = nbformat.read(released / assignment.folder / assignment.notebook, as_version=4)
    assert len(copy.cells) == len(source.cells)
    stubs = 0
    for original, learner in zip(source.cells, copy.cells):
        assert learner.cell_type == original.cell_type
        assert learner.metadata == original.metadata
        if original.cell_type == "markdown":
            assert learner.source == original.source
            continue
        assert learner.outputs == [] and learner.execution_count is None
        if "### BEGIN SOLUTION" in original.source:
            before, _, rest = original.source.partition("### BEGIN SOLUTION")
            _, _, after = rest.partition("### END SOLUTION")
            indent = before[before.rfind("\n") + 1 :]
            assert learner.source == (
                f"{before}# YOUR CODE HERE\n{indent}raise NotImplementedError(){after}"
            )
            stubs += 1
        else:
            assert learner.source == original.source
    assert stubs == len(assignment.exercises) > 0


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_learner_folder_has_what_the_notebook_loads(released, name):
    assignment = ASSIGNMENTS[name]
    folder = released / assignment.folder
    for file in assignment.files:
        assert (folder / file).read_bytes() == (assignment.path.parent / file).read_bytes()
    if assignment.data:
        assert (folder / "datasets" / "data.mat").is_file()
    text = "\n".join(c.source for c in nbformat.read(assignment.path, as_version=4).cells)
    for mentioned in set(re.findall(r"datasets/[\w.]+\.\w+", text)):
        assert (folder / mentioned).is_file(), f"the notebook names {mentioned}"


def test_release_refuses_to_overwrite_an_existing_copy(released, capsys):
    assert main(["release", "--out", str(released)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_strip_solutions_keeps_indentation_and_given_code():
    source = (
        "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    y = x\n    ### END SOLUTION\n"
        "    return y"
    )
    assert strip_solutions(source) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n    return y"
    )


def test_the_reference_notebooks_score_full_marks_and_stay_unchanged():
    paths = [assignment.path for assignment in ASSIGNMENTS.values()]
    before = [digest(path) for path in paths]
    results = grade_all(paths, timeout=120, jobs=2)
    for result in results:
        wrong = {e.name: e.message for e in result.exercises if e.message != "correct"}
        assert not wrong and not result.cut_off, (result.notebook, wrong, result.cut_off)
        assert result.score == result.max_score > 0, result
    assert [digest(path) for path in paths] == before


def _exit_after_the_last_exercise():
    """The experiments after the last exercise cannot change a grade, and can take minutes: here
    one that would stop the kernel before the hidden checks ran."""
    notebook = nbformat.read(GRADIENT_CHECKING.path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import os\nos._exit(0)"))
    return notebook


def _exit_in_a_tagged_experiment():
    """A cell tagged ``experiment`` is skipped (here one that would stop the kernel), unless it
    defines an exercise's function (here forward_propagation's own cell, tagged)."""
    notebook = nbformat.read(GRADIENT_CHECKING.path, as_version=4)
    experiment = nbformat.v4.new_code_cell("import os\nos._exit(0)")
    experiment.metadata["tags"] = ["experiment"]
    first = next(
        i
        for i, cell in enumerate(notebook.cells)
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "forward_propagation"
    )
    notebook.cells[first].metadata["tags"] = ["experiment"]
    notebook.cells.insert(first + 1, experiment)
    return notebook


def _deleted(name):
    notebook = nbformat.read(GRADIENT_CHECKING.path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == name:
            cell.source = "# deleted"
    return notebook


def _dies_early():
    notebook = nbformat.read(GRADIENT_CHECKING.path, as_version=4)
    notebook.cells.insert(3, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    return notebook


def _calls_the_given_code(name):
    """The blank learner copy of assignment ``name`` with a cell at its end whose exercises call
    the notebook's given code instead of being written (tests/hostile_submissions.py)."""
    notebook = learner_copy(nbformat.read(ASSIGNMENTS[name].path, as_version=4))
    notebook.cells.append(nbformat.v4.new_code_cell(GIVEN_CODE[name].strip()))
    return notebook


# Gradient Checking with one change each (and blank copies that call the given code), graded
# together (in parallel, so that the ones that wait for a time limit wait side by side): CUT_OFF
# with 6 s per cell, the others with 60 s.
VARIANTS = {
    "exit after the last exercise": _exit_after_the_last_exercise,
    "exit in a tagged experiment": _exit_in_a_tagged_experiment,
    "backward returns theta": lambda: with_solution(
        GRADIENT_CHECKING, "backward_propagation", "    dtheta = theta"
    ),
    # Returns the notebook's example (J = 8 for x = 2, theta = 4) and nothing else.
    "hard-coded shown output": lambda: with_solution(
        GRADIENT_CHECKING, "forward_propagation", "    J = 8"
    ),
    "gradient_check deleted": lambda: _deleted("gradient_check"),
    "dies early": _dies_early,
    "gradient_checking calls the given code": lambda: _calls_the_given_code("gradient_checking"),
    "initialization calls the given code": lambda: _calls_the_given_code("initialization"),
    "hyperparameter_search calls the given code": lambda: _calls_the_given_code(
        "hyperparameter_search"
    ),
}
CUT_OFF = {
    "endless loop": lambda: with_solution(
        GRADIENT_CHECKING, "forward_propagation", "    while True:\n        pass"
    ),
    # Each call takes 2.5 s: fine alone, but the check's three calls together exceed the 6 s
    # that the whole check of an exercise gets.
    "slow forward": lambda: with_solution(
        GRADIENT_CHECKING,
        "forward_propagation",
        "    import time\n    time.sleep(2.5)\n    J = theta * x",
    ),
}


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    """{name: (result, whether the file is unchanged)}, and the seconds the cut-off pair took."""
    folder = tmp_path_factory.mktemp("variants")
    graded = {}
    for table, timeout, jobs in ((VARIANTS, 60, 3), (CUT_OFF, 6, 2)):
        paths = [write(make(), folder / slug(name) / "GC.ipynb") for name, make in table.items()]
        before = [digest(path) for path in paths]
        started = time.monotonic()
        results = grade_all(paths, timeout=timeout, jobs=jobs)
        elapsed = time.monotonic() - started
        for name, path, result, digested in zip(table, paths, results, before, strict=True):
            graded[name] = (result, digest(path) == digested)
    return graded, elapsed


def outcome(variants, name):
    (result, unchanged), _ = variants[0][name], variants[1]
    assert unchanged, f"grading changed the submission {name!r}"
    return result, {e.name: e for e in result.exercises}


@pytest.mark.parametrize("name", ["exit after the last exercise", "exit in a tagged experiment"])
def test_cells_after_the_last_exercise_and_tagged_experiments_are_not_run(variants, name):
    result, _ = outcome(variants, name)
    assert result.score == result.max_score > 0, result


def test_the_blank_learner_copies_score_zero(released):
    paths = [released / a.folder / a.notebook for a in ASSIGNMENTS.values()]
    for result in grade_all(paths, timeout=60, jobs=2):
        assert result.score == 0 and result.max_score > 0
        others = {e.name: e.message for e in result.exercises if "not done" not in e.message}
        assert not others, (result.notebook, others, result.cut_off)


def test_one_broken_exercise_fails_alone(variants):
    result, exercises = outcome(variants, "backward returns theta")
    assert {name: e.passed for name, e in exercises.items()} == {
        "forward_propagation": True,
        "backward_propagation": False,
        "gradient_check": True,
        "gradient_check_n": True,
    }
    message = exercises["backward_propagation"].message
    assert message.startswith("wrong:") and "derivative of theta * x" in message
    assert not re.search(r"\d", message), "a hidden case's inputs and expected values stay hidden"
    assert result.score == result.max_score - 1


def test_hard_coding_the_shown_outputs_does_not_pass(variants):
    result, exercises = outcome(variants, "hard-coded shown output")
    assert [name for name, e in exercises.items() if not e.passed] == ["forward_propagation"]


def test_an_endless_loop_is_cut_off_and_reported(variants):
    _, exercises = outcome(variants, "endless loop")
    assert not exercises["forward_propagation"].passed
    assert exercises["forward_propagation"].message.startswith("timed out")
    assert exercises["gradient_check_n"].passed and exercises["backward_propagation"].passed


def test_a_slow_exercise_gets_one_time_limit_for_all_its_hidden_calls(variants):
    _, exercises = outcome(variants, "slow forward")
    assert exercises["forward_propagation"].message.startswith("timed out")
    assert exercises["backward_propagation"].passed and exercises["gradient_check_n"].passed
    assert variants[1] < 45, "the two cut-off submissions, side by side, took too long"


def test_a_missing_exercise_is_reported_as_missing(variants):
    _, exercises = outcome(variants, "gradient_check deleted")
    assert exercises["gradient_check"].message.startswith("missing")
    assert exercises["gradient_check_n"].passed


def test_a_kernel_that_dies_leaves_the_checks_ungraded_not_a_crash(variants):
    result, exercises = outcome(variants, "dies early")
    assert result.score == 0
    assert all(e.message.startswith("not graded") for e in exercises.values())


@pytest.mark.parametrize("name", GIVEN_CODE)
def test_an_exercise_that_calls_the_notebooks_given_code_scores_zero(variants, name):
    """Issue #25: the given cells hold no function that computes an exercise's result."""
    result, _ = outcome(variants, f"{name} calls the given code")
    assert result.assignment == name and result.score == 0 < result.max_score, result


def test_the_assignment_is_recognised_without_nbgrader_metadata():
    notebook = nbformat.read(GRADIENT_CHECKING.path, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
    assert recognise(notebook) is GRADIENT_CHECKING
    assert recognise(nbformat.v4.new_notebook()) is None


@pytest.mark.parametrize(
    "content, expected",
    [
        ("not json at all", "not a valid Jupyter notebook"),
        (nbformat.writes(nbformat.v4.new_notebook()), "not a notebook of a known assignment"),
    ],
    ids=["malformed", "unknown"],
)
def test_a_file_that_cannot_be_graded_gets_exit_2_and_one_line(
    tmp_path, capsys, content, expected
):
    path = tmp_path / "submission.ipynb"
    path.write_text(content)
    assert main(["grade", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err


def test_json_output_has_the_documented_fields(capsys):
    assert main(["grade", "--json", str(GRADIENT_CHECKING.path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "notebook", "assignment", "score", "max_score", "exercises", "isolation", "cut_off"
    }  # fmt: skip
    assert report["isolation"].startswith("isolation: bubblewrap") and not report["cut_off"]
    assert report["assignment"] == "gradient_checking" and report["score"] == 8
    assert set(report["exercises"][0]) == {"name", "points", "max_points", "passed", "message"}


def test_a_folder_of_four_learners_gives_the_right_gradebook(
    tmp_path, released, capsys, monkeypatch
):
    """Dave hands in three copies of one notebook: none counts, and only the first whose
    assignment is known is graded (30 copies of a notebook that spent its budget kept a job busy
    for 30 budgets). The gradebook is written in the current folder."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "submissions"
    name = GRADIENT_CHECKING.notebook
    write(nbformat.read(GRADIENT_CHECKING.path, as_version=4), folder / "alice" / name)
    blank = released / GRADIENT_CHECKING.folder / name
    write(nbformat.read(blank, as_version=4), folder / "bob" / name)
    broken = with_solution(GRADIENT_CHECKING, "gradient_check_n", "    difference = 0.0")
    write(broken, folder / "carol" / name)
    for copy in ("", "old", "older"):
        write(nbformat.read(GRADIENT_CHECKING.path, as_version=4), folder / "dave" / copy / name)
    assert main(["grade", str(folder)]) == 0
    table = capsys.readouterr().out
    assert table.count("total") == 6
    stopped = "was stopped: the learner has another notebook of this assignment"
    assert table.count(stopped) == 2 * (1 + len(GRADIENT_CHECKING.exercises))  # note, exercises
    with open(tmp_path / "gradebook.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        [
            "learner",
            "gradient_checking/forward_propagation",
            "gradient_checking/backward_propagation",
            "gradient_checking/gradient_check",
            "gradient_checking/gradient_check_n",
            "total",
            "not graded",
        ],
        ["alice", "1", "1", "2", "4", "8", ""],
        ["bob", "0", "0", "0", "0", "0", ""],
        ["carol", "1", "1", "2", "0", "4", ""],
        [
            "dave",
            *["0"] * 5,
            f"3 notebooks of gradient_checking ({name}, old/{name}, older/{name}): none counted; "
            "keep one",
        ],
    ]


def test_learner_copy_of_a_notebook_clears_every_output():
    copy = learner_copy(nbformat.read(GRADIENT_CHECKING.path, as_version=4))
    assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")


@pytest.mark.parametrize(
    "name, exercise", [(n, e) for n, a in ASSIGNMENTS.items() for e in a.exercises]
)
def test_hidden_cases_are_drawn_afresh_for_every_run(name, exercise):
    """A table learnt from one run's cases does not pass the next: 20 runs draw 20 sets."""
    assignment = ASSIGNMENTS[name]
    draws = [hidden_cases(assignment, exercise, random.Random(seed)) for seed in range(20)]
    if HIDDEN_CASES.get((name, exercise), HIDDEN_CASES.get(exercise)) is None:
        assert draws == [None] * 20  # the function takes no argument
    else:
        assert len({repr(d) for d in draws}) == 20


@pytest.mark.parametrize(
    "message, shown",
    [
        (
            "forward_propagation(1.5, -2.0) = 123456.0, expected -3e-07; W1 of shape (3, 4)",
            "forward_propagation(#, #) = #, expected #; W1 of shape (#, #)",
        ),
        # Numbers that touch a full stop, a letter or a sign (issue #25's attacker, round 8)
        ("expected 0.5. got 3.25...", "expected #. got #..."),
        ("(1+2.5j), 1e5j, 1.5_, x=-2, .5", "(#+#j), #j, #_, x=#, #"),
        ("dW2 and b3 of layer 2, float64", "dW2 and b3 of layer #, float64"),
    ],
)
def test_reports_keep_the_mistake_and_drop_the_numbers(message, shown):
    assert without_numbers(message) == shown


def test_regrading_after_a_change_to_a_hidden_check_rewrites_the_gradebook_and_the_pages_only(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    folder, feedback = tmp_path / "submissions", tmp_path / "feedback"
    path = write(nbformat.read(GRADIENT_CHECKING.path, as_version=4), folder / "ann" / "GC.ipynb")
    before = digest(path)
    command = ["grade", str(folder), "--feedback", str(feedback)]
    assert main(command) == 0
    page = feedback / "ann-GC.html"
    assert "Score: 8/8" in page.read_text()

    def stricter(target, cases, answers):
        raise AssertionError("a check made stricter after the first grading")

    monkeypatch.setattr(checks_of(GRADIENT_CHECKING), "verify_gradient_check", stricter)
    # grade_all's children would load the checks afresh: grade here, where the check changed
    monkeypatch.setattr(grading, "_in_child", grading.in_this_process)
    assert main(command) == 0
    text = page.read_text()
    assert "Score: 6/8" in text and "a check made stricter after the first grading" in text
    with open("gradebook.csv", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["total"] == "6" and row["gradient_checking/gradient_check"] == "0"
    assert digest(path) == before
    assert sorted(p.name for p in folder.rglob("*")) == ["GC.ipynb", "ann"]  # nothing written
    assert [p.name for p in feedback.iterdir()] == ["ann-GC.html"]
