"""Write learner copies: each assignment notebook without its solutions or outputs."""

import re

import nbformat

_SOLUTION = re.compile(
    r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION[ \t]*$", re.M | re.S
)


def strip_solutions(source):
    """Replace every solution block of a cell's source by the learner's stub."""
    return _SOLUTION.sub(
        lambda match: f"{match[1]}# YOUR CODE HERE\n{match[1]}raise NotImplementedError()", source
    )


def learner_copy(notebook):
    """Return a copy of ``notebook`` with solutions replaced by stubs and every output cleared."""
    copy = nbformat.from_dict(notebook)
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
    return copy


def release(assignments, out, force=False):
    """Write one self-contained folder per assignment under ``out``; return their paths."""
    written = []  # each folder once: graded companions share notebooks/
    for folder in dict.fromkeys(out / assignment.folder for assignment in assignments):
        if folder.exists() and any(folder.iterdir()) and not force:
            raise FileExistsError(
                f"{folder} already exists and is not empty; pass --force to replace its files"
            )
        written.append(folder)
    for assignment in assignments:
        folder = out / assignment.folder
        assignment.copy_support_files(folder)
        notebook = nbformat.read(assignment.path, as_version=4)
        nbformat.write(learner_copy(notebook), folder / assignment.notebook)
    return written
