"""``python -m tests.reference store [FOLDER...]``: write ``expected_values.json`` in each part
folder (or in those named, such as ``part_2_regularization``).

Every exercise's public check runs with the notebook's own solution and the reference's answers,
and each value the check asks for is stored under its key. ``tables()`` gives the same tables
without writing them (the test that the stored files are current compares the two).
"""

import sys

from tests.grading.assignments import ASSIGNMENTS, ROOT
from tests.grading.hidden import checks_of
from tests.helpers import notebook_definitions
from tests.reference import STORE, answers_for, recording, write


def tables(folders=None):
    """``{folder: {key: encoded value}}`` for every part folder (or those named), from the
    reference."""
    found = {}
    for assignment in ASSIGNMENTS.values():
        if folders and assignment.folder not in folders:
            continue
        if not (ROOT / "tests" / "reference" / f"{assignment.name}.py").exists():
            print(f"{assignment.name}: no reference module yet, skipped", file=sys.stderr)
            continue
        table = found.setdefault(assignment.folder, {})
        answers = recording(answers_for(assignment), table)
        solutions = notebook_definitions(assignment.path)
        checks = checks_of(assignment)
        for name in assignment.exercises:
            getattr(checks, f"verify_{name}")(solutions[name], answers=answers)
    return found


def main(argv):
    if argv[:1] != ["store"]:
        print(__doc__, file=sys.stderr)
        return 2
    for folder, table in tables(argv[1:]).items():
        path = ROOT / folder / STORE
        print(f"{path.relative_to(ROOT)}: {'written' if write(path, table) else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
