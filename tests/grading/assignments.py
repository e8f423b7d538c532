"""The assignments: where each lives, what a learner copy needs, and its exercises and points."""

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Assignment:
    name: str
    folder: str  # the part folder, relative to the repository root
    notebook: str
    files: tuple  # the sibling modules the notebook imports
    data: tuple = ()  # data files, relative to the repository root, copied to <copy>/datasets/
    autodiff: tuple = ()  # the sandbox.AUTODIFF libraries its kernel may import: the others hidden

    @property
    def path(self):
        return ROOT / self.folder / self.notebook

    @cached_property
    def exercises(self):
        """``{exercise name: points}`` in notebook order, read from the nbgrader metadata."""
        notebook = nbformat.read(self.path, as_version=4)
        names, points = [], {}
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                names.append(meta["grade_id"])
            elif meta.get("grade"):
                points[meta["grade_id"].removeprefix("check_")] = meta["points"]
        return {name: points[name] for name in names}

    def copy_support_files(self, destination):
        """Copy the modules and data a copy of this assignment needs into ``destination``."""
        destination.mkdir(parents=True, exist_ok=True)
        for name in self.files:
            (destination / name).write_bytes((ROOT / self.folder / name).read_bytes())
        for relative in self.data:
            target = destination / "datasets" / Path(relative).name
            target.parent.mkdir(exist_ok=True)
            target.write_bytes((ROOT / relative).read_bytes())


ASSIGNMENTS = {
    assignment.name: assignment
    for assignment in (
        Assignment(
            "initialization",
            "part_1_initialisation",
            "Initialization.ipynb",
            ("init_utils.py", "testCases.py", "expected_values.json"),
        ),
        Assignment(
            "regularization",
            "part_2_regularization",
            "Regularization.ipynb",
            ("reg_utils.py", "testCases.py", "expected_values.json"),
            ("datasets/data.mat", "datasets/make_football_data.py"),
        ),
        Assignment(
            "gradient_checking",
            "part_3_gradient_checking",
            "Gradient_Checking.ipynb",
            ("gc_utils.py", "testCases.py", "expected_values.json"),
        ),
        Assignment(
            "optimization",
            "notebooks",
            "Optimization_Methods.ipynb",
            ("opt_utils.py", "nn_utils.py", "testCases.py", "expected_values.json"),
        ),
        Assignment(
            "hyperparameter_search",
            "notebooks",
            "Hyperparameter_Search.ipynb",
            ("nn_utils.py", "testCases.py", "expected_values.json"),
        ),
        Assignment(
            "batchnorm",
            "notebooks",
            "Batch_Normalization.ipynb",
            ("nn_utils.py", "testCases.py", "expected_values.json"),
        ),
        Assignment(
            "softmax",
            "notebooks",
            "Softmax_Regression.ipynb",
            ("nn_utils.py", "testCases.py", "expected_values.json"),
        ),
        Assignment(
            "tensorflow",
            "notebooks",
            "TensorFlow_Introduction.ipynb",
            ("nn_utils.py", "testCases.py", "expected_values.json"),
            autodiff=("tensorflow", "keras"),
        ),
    )
}


def recognise(notebook):
    """Return the assignment a notebook belongs to, or None.

    A learner's notebook keeps the nbgrader ids of its exercise cells; if those were lost (cells
    pasted into a new notebook), the exercise functions it defines are looked for instead.
    """
    ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells}
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    defined = set(re.findall(r"^def (\w+)\(", code, re.M))
    scores = {
        name: len(set(assignment.exercises) & (ids | defined))
        for name, assignment in ASSIGNMENTS.items()
    }
    best = max(scores, key=scores.get)
    return ASSIGNMENTS[best] if scores[best] else None
