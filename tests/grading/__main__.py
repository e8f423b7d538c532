"""Command line: ``python -m tests.grading release|grade ...`` (see ``--help``)."""

import argparse
import json
import os
import sys
from pathlib import Path

from tests.grading.assignments import ASSIGNMENTS
from tests.grading.feedback import write_pages
from tests.grading.grade import (
    GradingError,
    as_json,
    grade_all,
    submissions,
    table,
    write_gradebook,
)
from tests.grading.release import release
from tests.grading.sandbox import SandboxUnavailable, find_isolation


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.grading", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    release_parser = commands.add_parser("release", help="write the learner copies")
    release_parser.add_argument(
        "--out",
        type=Path,
        default=Path("release"),
        help="folder to write them to (default: release/)",
    )
    release_parser.add_argument(
        "--force", action="store_true", help="replace the files of an existing learner copy"
    )

    grade_parser = commands.add_parser("grade", help="grade submitted notebooks")
    grade_parser.add_argument(
        "paths", nargs="+", help="notebooks, or folders of submissions/<learner>/<notebook>.ipynb"
    )
    grade_parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    grade_parser.add_argument(
        "--timeout", type=float, default=60, help="seconds each cell may run (default: 60)"
    )
    grade_parser.add_argument(
        "--budget",
        type=float,
        default=300,
        help="seconds all of a notebook's cells may run together (default: 300); the hidden "
        "checks then take at most 10 s per exercise",
    )
    grade_parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run submissions without a sandbox, with your own permissions: only for notebooks "
        "you trust, on a machine where no sandbox starts (README, 'What a submission can do')",
    )
    grade_parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="notebooks graded at once (default: one per CPU)",
    )
    grade_parser.add_argument(
        "--csv", type=Path, help="gradebook to write (default: gradebook.csv in a graded folder)"
    )
    grade_parser.add_argument(
        "--feedback",
        type=Path,
        metavar="DIR",
        help="write a feedback page (HTML) per submitted notebook to DIR",
    )
    args = parser.parse_args(argv)

    if args.command == "release":
        try:
            written = release(ASSIGNMENTS.values(), args.out, force=args.force)
        except FileExistsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for folder in written:
            print(f"wrote {folder}")
        return 0

    paths = submissions(args.paths)
    if not paths:
        print("error: no notebooks found in " + ", ".join(args.paths), file=sys.stderr)
        return 2
    try:
        isolation = find_isolation(allow_unsandboxed=args.no_sandbox)
    except SandboxUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    outcomes = grade_all(paths, args.timeout, args.jobs, args.budget, isolation)
    results = [o for o in outcomes if not isinstance(o, GradingError)]
    if results:
        print(isolation.description, file=sys.stderr)
    for error in (o for o in outcomes if isinstance(o, GradingError)):
        print(f"error: {error}", file=sys.stderr)
    if args.json:
        objects = [as_json(r) for r in results]
        print(
            json.dumps(
                objects[0]
                if len(args.paths) == 1 and len(objects) == 1 and Path(args.paths[0]).is_file()
                else objects,
                indent=2,
            )
        )
    else:
        print("\n\n".join(table(r) for r in results))
    folders = [Path(p) for p in args.paths if Path(p).is_dir()]
    if args.csv or folders:
        out = args.csv or folders[0] / "gradebook.csv"
        write_gradebook(outcomes, folders[0] if folders else Path.cwd(), out)
        print(f"gradebook: {out}", file=sys.stderr)
    if args.feedback:
        pages = write_pages(outcomes, folders[0] if folders else Path.cwd(), args.feedback)
        print(f"feedback: {len(pages)} pages in {args.feedback}", file=sys.stderr)
    return 0 if results else 2


if __name__ == "__main__":
    sys.exit(main())
