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
    OutputError,
    as_json,
    grade_all,
    learner_of,
    submissions,
    table,
    visible,
    within_limit,
    write_gradebook,
)
from tests.grading.release import release
from tests.grading.sandbox import SandboxUnavailable, find_isolation

# The default gradebook, in the current folder: in the folder graded, a learner's folder named
# gradebook.csv stopped it for the whole batch (issue #25's attacker).
GRADEBOOK = Path("gradebook.csv")


def inside(path, roots):
    """Whether the file ``path`` is one of the folders ``roots`` or lies below one: its folder's
    links resolved, not its own (a link there is replaced, not followed)."""
    here = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), Path(path).name)
    return any(os.path.commonpath([here, root]) == root for root in map(os.path.realpath, roots))


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

    grade_parser = commands.add_parser(
        "grade",
        help="grade submitted notebooks",
        epilog="Exit status: 0 when notebooks were graded and the whole report written, 2 when "
        "none could be graded, 3 when the gradebook or a feedback page could not be written "
        "(each gets an error line; the rest of the report is written).",
    )
    grade_parser.add_argument(
        "paths",
        nargs="+",
        help="notebooks, or folders of submissions/<learner>/<notebook>.ipynb. Given one "
        "folder, a learner is named by their folder in it (alice); given several paths, by the "
        "folder given, then theirs (sec1/alice, sec2/alice: two learners); a notebook given by "
        "itself, by the folder it is in (sub/alice)",
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
        "--csv",
        type=Path,
        help="gradebook to write (default, when a folder is given: gradebook.csv in the current "
        "folder, never inside the folders graded); a file or a link there is replaced, anything "
        "else (a folder, a FIFO) is left and is an error",
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

    paths, cut_short = submissions(args.paths)
    if not paths:
        print(
            "error: no notebooks found in " + ", ".join(map(visible, args.paths)), file=sys.stderr
        )
        return 2
    out = args.csv or (GRADEBOOK if any(Path(p).is_dir() for p in args.paths) else None)
    if args.csv is None and out and inside(out, args.paths):
        print(
            f"error: the gradebook's default place, {os.path.abspath(GRADEBOOK)}, is among the "
            "submissions, where a learner's file could take it: grade from another folder, or "
            "give --csv FILE",
            file=sys.stderr,
        )
        return 2
    try:
        isolation = find_isolation(allow_unsandboxed=args.no_sandbox)
    except SandboxUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    paths, refused = within_limit(paths, args.paths)
    learners = [learner_of(path, args.paths) for path in paths]
    outcomes = (
        grade_all(paths, args.timeout, args.jobs, args.budget, isolation, learners=learners)
        + refused
        + cut_short
    )
    results = [o for o in outcomes if not isinstance(o, GradingError)]
    if results:
        print(isolation.description, file=sys.stderr)
    for error in (o for o in outcomes if isinstance(o, GradingError)):
        print(f"error: {visible(error)}", file=sys.stderr)
    if args.json:  # JSON keeps the text as it is, escaped as JSON escapes it (ASCII only)
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
    failed = []  # what of the report could not be written: each gets a line, the rest is written
    if out:
        try:
            write_gradebook(outcomes, args.paths, out)
            print(f"gradebook: {visible(out)}", file=sys.stderr)
        except OutputError as error:
            failed.append(f"error: gradebook not written: {error} (--csv FILE: elsewhere)")
    if args.feedback:
        pages, not_written = write_pages(outcomes, args.paths, args.feedback)
        print(f"feedback: {len(pages)} pages in {visible(args.feedback)}", file=sys.stderr)
        failed += [f"error: feedback page not written: {error}" for error in not_written]
    for line in failed:
        print(line, file=sys.stderr)
    return 2 if not results else 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
