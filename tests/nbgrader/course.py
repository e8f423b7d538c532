"""An nbgrader course of one assignment, as an instructor who uses nbgrader would set it up.

``source/<assignment>/`` holds the notebook with what it loads (the files our ``release`` copies
beside it); nbgrader 0.9.6 runs from .venv-nbgrader (``make nbgrader-test`` installs it from
requirements-nbgrader.txt), and the notebooks run in a kernel of this project's .venv: a
kernelspec of the name the notebook asks for, installed by ipykernel under a prefix of the
course's own on JUPYTER_PATH (as README tells an instructor), with Jupyter's configuration,
data and runtime folders of the course's own too, so that nothing of the machine's is used.
nbgrader's environment has no NumPy, so a notebook that scores anything ran in .venv's kernel.
"""

import json
import os
import re
import subprocess
import sys
import time

import nbformat

from tests.cross_cpu import CPU_VARIABLES, OWN_CPU
from tests.grading.assignments import ROOT

NBGRADER_BIN = ROOT / ".venv-nbgrader" / "bin"
GRADEBOOK_SCORES = ROOT / "tests" / "nbgrader" / "gradebook_scores.py"
# nbgrader's default is 30 s a cell; the longest cell of these notebooks takes about 10 s on
# 2 cores, but the test runs two kernels on them, each with one BLAS thread and one joblib worker.
CELL_TIMEOUT = 120
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def solution_cells(notebook):
    """``{grade_id: source}`` of a notebook's solution cells, in notebook order."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def done_but(released, reference, undone):
    """The released copy with every exercise written as the reference does, except ``undone``.

    A learner's finished cell: the reference's solution cell without nbgrader's markers.
    """
    answers = solution_cells(reference)
    copy = nbformat.from_dict(released)
    for cell in copy.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and grade_id not in undone:
            cell.source = _MARKER.sub("", answers[grade_id])
    return copy


class Course:
    """A course in ``root`` with one assignment, ``assignment`` (tests.grading's Assignment)."""

    def __init__(self, root, assignment):
        self.root = root
        self.assignment = assignment
        self.id = assignment.name
        self.notebook = nbformat.read(assignment.path, as_version=4)
        self.log = []  # (command, seconds, output) of every nbgrader run

    def environment(self):
        """The machine's environment with the course's own Jupyter folders and nbgrader's bin.

        The CPU variables go back to this machine's own (the test session points them at
        another CPU for nbval's kernels; nbgrader compares no outputs). Thread limits stay.
        """
        env = dict(os.environ)
        for variable in CPU_VARIABLES:
            env.pop(variable, None)
            if OWN_CPU[variable] is not None:
                env[variable] = OWN_CPU[variable]
        jupyter = self.root / "jupyter"
        env.update(
            PATH=f"{NBGRADER_BIN}{os.pathsep}{env.get('PATH', '')}",  # nbgrader calls alembic
            JUPYTER_PATH=str(self.root / "kernel" / "share" / "jupyter"),
            JUPYTER_CONFIG_DIR=str(jupyter / "config"),
            JUPYTER_DATA_DIR=str(jupyter / "data"),
            JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"),
            IPYTHONDIR=str(jupyter / "ipython"),
            PYTHONNOUSERSITE="1",
        )
        env.pop("PYTHONPATH", None)
        return env

    def set_up(self):
        """source/<assignment>/, nbgrader_config.py and the kernel."""
        source = self.root / "course" / "source" / self.id
        self.assignment.copy_support_files(source)
        (source / self.assignment.notebook).write_bytes(self.assignment.path.read_bytes())
        (self.root / "course" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Execute.timeout = {CELL_TIMEOUT}\n"
        )
        # The kernel the notebook names, as README tells an instructor to install it: a
        # kernelspec of that name for .venv's Python, under a prefix on JUPYTER_PATH.
        spec = self.notebook.metadata["kernelspec"]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ipykernel",
                "install",
                "--prefix",
                str(self.root / "kernel"),
                "--name",
                spec["name"],
                "--display-name",
                spec["display_name"],
            ],
            env=self.environment(),
            capture_output=True,
            check=True,
        )

    def nbgrader(self, *args):
        """Run ``nbgrader ARGS`` in the course folder; raise with its output if it fails."""
        command = [str(NBGRADER_BIN / "nbgrader"), *args]
        start = time.monotonic()
        run = subprocess.run(
            command,
            cwd=self.root / "course",
            env=self.environment(),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        self.log.append((" ".join(args), time.monotonic() - start, run.stdout + run.stderr))
        if run.returncode:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{run.stdout}{run.stderr}")
        return run.stdout + run.stderr

    def path(self, folder, student=None):
        """The notebook's path in ``folder`` (release, submitted, autograded)."""
        parts = [folder] if student is None else [folder, student]
        return self.root.joinpath("course", *parts, self.id, self.assignment.notebook)

    def generate_assignment(self):
        self.nbgrader("generate_assignment", self.id)
        return nbformat.read(self.path("release"), as_version=4)

    def submit(self, student, notebook):
        path = self.path("submitted", student)
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)

    def autograde(self):
        """Autograde every submission; return ``{student: scores}`` from the gradebook."""
        self.nbgrader("autograde", self.id)
        run = subprocess.run(
            [
                str(NBGRADER_BIN / "python"),
                str(GRADEBOOK_SCORES),
                str(self.root / "course" / "gradebook.db"),
                self.id,
            ],
            env=self.environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(run.stdout)

    def errors(self, student):
        """The errors raised in ``student``'s autograded notebook.

        A list of (cell index, the cell's grade_id or None, the error's name, its traceback's
        number of lines).
        """
        notebook = nbformat.read(self.path("autograded", student), as_version=4)
        return [
            (
                index,
                cell.metadata.get("nbgrader", {}).get("grade_id"),
                output.ename,
                len(output.traceback),
            )
            for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "code"
            for output in cell.outputs
            if output.output_type == "error"
        ]
