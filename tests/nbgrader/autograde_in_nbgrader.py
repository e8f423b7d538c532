"""nbgrader grades the graded notebooks as they are (make nbgrader-test; not part of make test).

For each graded notebook, an nbgrader course of its own in a temporary folder (tests/nbgrader/
course.py): ``nbgrader generate_assignment``, then one ``nbgrader autograde`` of four
submissions, whose scores are read from nbgrader's gradebook with nbgrader's own API:

- the reference notebook (the solutions): full marks, and no cell raises;
- the learner copy that generate_assignment made, untouched, and the one our ``release`` makes:
  0, every check cell failing with the one-line reminder;
- generate_assignment's copy with every exercise written as the reference does but one
  (LEFT_UNDONE): all the points but that exercise's.

It also compares generate_assignment's learner copy with ours. A class per assignment: pytest
-n 2 --dist loadscope runs a class's tests in one worker, which grades its course once, and the
classes in parallel.
"""

import pytest

from tests.grading.assignments import ASSIGNMENTS
from tests.grading.release import learner_copy
from tests.nbgrader.course import NBGRADER_BIN, Course, done_but

# The exercise the "all but one" copy leaves undone: the notebook's first whose function no
# other exercise's check cell needs. nbgrader scores a check cell by whether the whole cell raises:
# TensorFlow's model calls the learner's initialize_parameters, forward_propagation and
# compute_total_loss (README, "Grading with nbgrader"). Gradient Checking leaves
# forward_propagation undone: gradient_check's check cell prints its example with the learner's
# forward and backward functions only once they are written, so that cell still passes.
LEFT_UNDONE = {
    "initialization": "initialize_parameters_zeros",
    "regularization": "compute_cost_with_regularization",
    "gradient_checking": "forward_propagation",
    "optimization": "update_parameters_with_gd",
    "hyperparameter_search": "sample_learning_rate",
    "batchnorm": "batchnorm_forward",
    "softmax": "softmax",
    "tensorflow": "linear_function",
}


def cell_points(assignment):
    """``{check cell's grade_id: points}`` as the notebook's metadata gives them."""
    return {f"check_{name}": points for name, points in assignment.exercises.items()}


class NbgraderCourse:
    """The checks of one assignment's nbgrader course; each subclass names its assignment."""

    name = None

    @pytest.fixture(scope="class")
    @classmethod
    def course(cls, tmp_path_factory):
        """The course, set up, generated and autograded (once for the class's tests)."""
        if not (NBGRADER_BIN / "nbgrader").is_file():
            pytest.fail(f"no nbgrader in {NBGRADER_BIN.parent}: run `make nbgrader-test`")
        course = Course(tmp_path_factory.mktemp(cls.name), ASSIGNMENTS[cls.name])
        course.set_up()
        course.released = course.generate_assignment()
        course.submit("reference", course.notebook)
        course.submit("untouched", course.released)
        course.submit("our_release", learner_copy(course.notebook))
        undone = {LEFT_UNDONE[cls.name]}
        course.submit("all_but_one", done_but(course.released, course.notebook, undone))
        course.scores = course.autograde()
        return course

    def test_nbgrader_gives_the_reference_full_marks(self, course):
        scores = course.scores["reference"]
        assert scores["cells"] == cell_points(course.assignment)
        assert scores["score"] == scores["max_score"] == sum(course.assignment.exercises.values())
        assert not scores["needs_manual_grade"]
        assert course.errors("reference") == [], "a cell of the reference raised under nbgrader"

    @pytest.mark.parametrize("copy", ["untouched", "our_release"])
    def test_nbgrader_gives_an_untouched_learner_copy_zero(self, course, copy):
        scores = course.scores[copy]
        assert scores["cells"] == dict.fromkeys(cell_points(course.assignment), 0.0)
        assert scores["score"] == 0 and scores["max_score"] > 0
        assert not scores["needs_manual_grade"]
        # Each check cell fails with the one-line reminder, not with an error of its own.
        failed = {grade_id: (error, lines) for _, grade_id, error, lines in course.errors(copy)}
        assert {failed.get(cell) for cell in cell_points(course.assignment)} == {("NotDoneYet", 1)}

    def test_nbgrader_takes_exactly_the_points_of_the_exercise_left_undone(self, course):
        scores = course.scores["all_but_one"]
        undone = f"check_{LEFT_UNDONE[self.name]}"
        expected = cell_points(course.assignment)
        assert scores["cells"] == {**expected, undone: 0.0}
        assert scores["score"] == scores["max_score"] - expected[undone]
        assert not scores["needs_manual_grade"]

    def test_generate_assignment_makes_our_learner_copy_with_nbgraders_locks(self, course):
        """Cell for cell the same sources, no outputs; nbgrader adds only its locks and
        checksums: ``deletable: false`` on every solution and check cell, ``editable: false`` on
        check cells, and in the nbgrader metadata the cell's type and a checksum."""
        ours, theirs = learner_copy(course.notebook), course.released
        assert [c.cell_type for c in theirs.cells] == [c.cell_type for c in ours.cells]
        assert [c.source for c in theirs.cells] == [c.source for c in ours.cells]
        assert theirs.metadata == ours.metadata
        for mine, nbgraders in zip(ours.cells, theirs.cells):
            if nbgraders.cell_type == "code":
                assert nbgraders.outputs == [] and nbgraders.execution_count is None
            added = dict(nbgraders.metadata)
            meta = dict(added.pop("nbgrader", {}))
            if "nbgrader" not in mine.metadata:
                assert added == mine.metadata and not meta
                continue
            assert added.pop("deletable") is False
            assert added.pop("editable", True) is (not meta["locked"])
            assert meta.pop("cell_type") == nbgraders.cell_type and meta.pop("checksum")
            assert added == {k: v for k, v in mine.metadata.items() if k != "nbgrader"}
            assert meta == mine.metadata["nbgrader"]


# The longest first, so that the two workers finish about together.
class TestOptimization(NbgraderCourse):
    name = "optimization"


class TestRegularization(NbgraderCourse):
    name = "regularization"


class TestTensorFlow(NbgraderCourse):
    name = "tensorflow"


class TestBatchNormalization(NbgraderCourse):
    name = "batchnorm"


class TestInitialization(NbgraderCourse):
    name = "initialization"


class TestHyperparameterSearch(NbgraderCourse):
    name = "hyperparameter_search"


class TestSoftmax(NbgraderCourse):
    name = "softmax"


class TestGradientChecking(NbgraderCourse):
    name = "gradient_checking"


def test_every_graded_notebook_has_a_course_and_an_exercise_left_undone():
    assert sorted(c.name for c in NbgraderCourse.__subclasses__()) == sorted(ASSIGNMENTS)
    assert set(LEFT_UNDONE) == set(ASSIGNMENTS)
    for name, exercise in LEFT_UNDONE.items():
        assert exercise in ASSIGNMENTS[name].exercises, (name, exercise)
