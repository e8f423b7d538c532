"""Print the autograde scores of one assignment in an nbgrader gradebook, as JSON.

Run in .venv-nbgrader, where nbgrader's own API reads its database:
``python gradebook_scores.py GRADEBOOK.db ASSIGNMENT`` prints
``{student: {"score", "max_score", "needs_manual_grade", "cells": {grade cell: points}}}``.
"""

import json
import sys

from nbgrader.api import Gradebook


def scores(database, assignment):
    with Gradebook(f"sqlite:///{database}") as gradebook:
        return {
            submission.student.id: {
                "score": submission.score,
                "max_score": submission.max_score,
                "needs_manual_grade": submission.needs_manual_grade,
                "cells": {
                    grade.name: grade.score
                    for notebook in submission.notebooks
                    for grade in notebook.grades
                },
            }
            for submission in gradebook.assignment_submissions(assignment)
        }


if __name__ == "__main__":
    print(json.dumps(scores(*sys.argv[1:])))
