"""The grader's reports against hostile names and folders (issue #25): the scratch folder's
cleanup, the gradebook, the feedback pages, the CSV, the terminal and the learners' names.

Most tests build Result and GradingError objects and call the report's functions directly; the
few that grade start one small kernel each (about a second).
"""

import csv
import errno
import json
import os
import stat
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from tests.grading import grade as grading
from tests.grading import sandbox
from tests.grading.__main__ import main
from tests.grading.feedback import page_name, write_pages
from tests.grading.grade import (
    Exercise,
    GradingError,
    OutputError,
    Result,
    as_json,
    csv_cell,
    learner_of,
    read_submission,
    submissions,
    table,
    visible,
    write_file,
    write_gradebook,
)

ZEROS = """
import numpy as np

def initialize_parameters_zeros(layers_dims):
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters[f"W{l}"] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters[f"b{l}"] = np.zeros((layers_dims[l], 1))
    return parameters
"""
# What a kernel may leave in its working folder: a chain of folders deeper than Python's
# recursion limit, links to the grader's files and folders, folders nobody may enter, a FIFO.
LEAVE_BEHIND = """
import os
fd = os.open(".", os.O_RDONLY)
for _ in range(1100):  # past the recursion limit, 1000
    os.mkdir("d", dir_fd=fd)
    below = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = below
os.symlink({file!r}, "to_a_file", dir_fd=fd)
os.symlink({folder!r}, "to_a_folder", dir_fd=fd)
os.mkfifo("fifo", dir_fd=fd)
os.mkdir("locked", dir_fd=fd)
os.close(os.open("locked/inside", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd))
os.chmod("locked", 0, dir_fd=fd)
os.close(fd)
os.mkdir("closed")
os.symlink({folder!r}, "closed/up")
os.chmod("closed", 0)
"""


def result(notebook, exercises=(("f", 1, True, "correct"),), assignment="initialization"):
    """A Result of ``notebook`` with ``exercises``, (name, max_points, passed, message) each."""
    done = Result(notebook=str(notebook), assignment=assignment)
    for name, points, passed, message in exercises:
        done.exercises.append(Exercise(name, points if passed else 0, points, passed, message))
        done.score += points if passed else 0
        done.max_score += points
    return done


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def outside(tmp_path):
    """A file and a folder of the grader's, of modes that a cleanup following links changes."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_text("the instructor's")
    (host / "secret").chmod(0o400)
    (host / "folder").mkdir()
    (host / "folder" / "kept").write_text("kept")
    (host / "folder").chmod(0o500)
    return host / "secret", host / "folder"


def untouched(file, folder):
    return (
        stat.S_IMODE(file.stat().st_mode) == 0o400
        and file.read_text() == "the instructor's"
        and stat.S_IMODE(folder.stat().st_mode) == 0o500
        and (folder / "kept").read_text() == "kept"
    )


def leave_behind(top, file, folder):
    """Run LEAVE_BEHIND here, in ``top``, as a kernel would."""
    here = os.getcwd()
    os.chdir(top)
    try:
        exec(LEAVE_BEHIND.format(file=str(file), folder=str(folder)), {})
    finally:
        os.chdir(here)


@pytest.fixture
def failing_rm(tmp_path, monkeypatch):
    """An ``rm`` that removes nothing and says so, first on PATH."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "rm").write_text(
        "#!/bin/sh\necho \"rm: cannot remove '$4': Operation not permitted\" >&2\nexit 1\n"
    )
    (bin_folder / "rm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")


# 1. The scratch folder goes, whatever is in it, and no link is followed.


def test_the_scratch_folder_goes_however_deep_and_no_link_is_followed(tmp_path):
    file, folder = outside(tmp_path)
    scratch = sandbox.ScratchFolder()
    with scratch as path:
        leave_behind(path, file, folder)
    assert scratch.problem is None and not os.path.lexists(path)
    assert untouched(file, folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="root mounts the scratch folder's tmpfs")
def test_as_root_the_scratch_folder_is_a_tmpfs_of_its_size_and_goes_whole():
    scratch = sandbox.ScratchFolder(size=1 << 20, files=20)
    with scratch as path:
        assert os.path.ismount(path)
        with pytest.raises(OSError) as full, open(Path(path, "big"), "wb") as handle:
            handle.write(bytes(2 << 20))
            handle.flush()
        assert full.value.errno == errno.ENOSPC
        with pytest.raises(OSError) as many:
            for i in range(40):
                Path(path, str(i)).touch()
        assert many.value.errno == errno.ENOSPC
    assert scratch.problem is None and not os.path.lexists(path)


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_remove_scratch_removes_a_folder_of_few_levels_too(tmp_path, depth):
    top = tmp_path / "scratch"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        below = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = below
    os.close(fd)
    assert sandbox.remove_scratch(top) is None and not top.exists()


def test_a_scratch_folder_that_cannot_be_removed_is_a_line_not_an_exception(tmp_path, failing_rm):
    scratch = sandbox.ScratchFolder()
    with scratch as path:
        Path(path, "left").write_text("x")
    assert scratch.problem == (
        f"the grader's scratch folder {path} could not be removed "
        f"(rm: cannot remove '{path}': Operation not permitted)"
    )
    assert Path(path, "left").exists()
    assert sandbox.remove_scratch(path, seconds=0) is not None  # no time: still there, said so
    os.environ["PATH"] = os.environ["PATH"].split(os.pathsep, 1)[1]
    assert sandbox.remove_scratch(path) is None and not os.path.lexists(path)


def notebook_with(tmp_path, *sources):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source.strip()) for source in sources]
    path = tmp_path / "submission" / "Initialization.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def own_tempdir(monkeypatch):
    """A folder of this test's for the grader's temporary folders, to see what is left (short:
    the kernel's Unix sockets are made in it)."""
    folder = Path(tempfile.mkdtemp(prefix="reports-"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    sandbox.remove_scratch(folder)


def test_a_kernel_that_leaves_a_deep_tree_and_links_is_graded_and_leaves_nothing(
    tmp_path, own_tempdir
):
    file, folder = outside(tmp_path)
    left = LEAVE_BEHIND.format(file=str(file), folder=str(folder))
    path = notebook_with(tmp_path, left + ZEROS)  # the function exists only if all was made
    done = grading.grade(path, timeout=20, budget=40)
    assert done.exercises[0].passed and done.score == 1 and done.cut_off == []
    assert list(own_tempdir.iterdir()) == [] and untouched(file, folder)


def test_a_scratch_folder_left_behind_costs_a_line_of_the_report_not_the_grade(
    tmp_path, own_tempdir, failing_rm
):
    path = notebook_with(tmp_path, ZEROS)
    done = grading.grade(path, timeout=20, budget=40)
    assert done.exercises[0].passed and done.score == 1
    (left,) = own_tempdir.iterdir()
    assert done.cut_off == [
        f"the grader's scratch folder {left} could not be removed "
        f"(rm: cannot remove '{left}': Operation not permitted)"
    ]
    os.environ["PATH"] = os.environ["PATH"].split(os.pathsep, 1)[1]
    assert sandbox.remove_scratch(left) is None


def test_notebooks_are_found_however_deep_in_a_stable_order_without_entering_links(tmp_path):
    """os.walk recursed: a learner's folder 1100 deep raised RecursionError and ended the batch."""
    (tmp_path / "mallory").mkdir()
    fd = os.open(tmp_path / "mallory", os.O_RDONLY)
    for _ in range(1100):  # past the recursion limit, 1000
        os.mkdir("d", dir_fd=fd)
        below = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = below
    os.close(os.open("GC.ipynb", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd))
    os.close(fd)
    for name in ("alice/b/GC.ipynb", "alice/a/x/GC.ipynb", "alice/GC.ipynb", "alice/A.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    (tmp_path / "alice" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "alice" / ".ipynb_checkpoints" / "GC-checkpoint.ipynb").write_text("{}")
    (tmp_path / "alice" / "linked").symlink_to(tmp_path / "alice" / "b")
    try:
        found = [str(p.relative_to(tmp_path)) for p in submissions([tmp_path])[0]]
    finally:  # pytest's own clean-up of old temporary folders recurses too
        assert sandbox.remove_scratch(tmp_path / "mallory") is None
    assert found == [
        "alice/A.ipynb",
        "alice/GC.ipynb",
        "alice/a/x/GC.ipynb",
        "alice/b/GC.ipynb",
        "mallory/" + "d/" * 1100 + "GC.ipynb",
    ]


def test_a_learner_with_more_notebooks_than_the_limit_gets_one_line_and_none_graded(
    tmp_path, capsys, monkeypatch
):
    """80,000 empty files in one folder took a batch 8 minutes and the grader 230 MiB more;
    200,000, once the batch refused them, still 140 MiB more to list them all. The walk now
    lists one more than the limit of each learner, however many there are, however deep."""
    folder = tmp_path / "subs"
    (folder / "mallory" / "deeper").mkdir(parents=True)
    for index in range(grading.MAX_NOTEBOOKS + 20):
        (folder / "mallory" / f"e{index:02d}.ipynb").write_text("{}")
        (folder / "mallory" / "deeper" / f"e{index:02d}.ipynb").write_text("{}")
    (folder / "alice").mkdir()
    (folder / "alice" / "a.ipynb").write_text("{}")
    found, cut_short = submissions([folder])
    assert cut_short == []
    assert found[0] == folder / "alice" / "a.ipynb"
    assert found[1:] == sorted((folder / "mallory").glob("*.ipynb"))[: grading.MAX_NOTEBOOKS + 1]
    (folder / "alice" / "a.ipynb").unlink()
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    assert main(["grade", str(folder)]) == 2  # nothing graded
    assert time.monotonic() - started < 5  # no kernel started, no file read
    (row,) = read_csv("gradebook.csv")[1:]
    assert row == [
        "mallory",
        "0",
        f"e00.ipynb: not graded: more than {grading.MAX_NOTEBOOKS} notebooks of this learner; "
        "none of them was graded",
    ]
    paths = [folder / "alice" / "a.ipynb", *sorted((folder / "mallory").glob("*.ipynb"))]
    kept, refused = grading.within_limit(paths, [folder])
    assert kept == paths[:1] and [r.path for r in refused] == [str(paths[1])]


def test_the_walk_looks_at_a_bounded_number_of_entries_of_each_learner(tmp_path, monkeypatch):
    """150,000 empty subfolders (no more notebooks than the limit) took the grader 98 MiB more:
    past MAX_ENTRIES files and folders of one learner, the walk stops, and another learner's
    folder is still walked whole. The learner gets a line saying so (named in full: a dot in
    a folder's name does not start a suffix)."""
    monkeypatch.setattr(grading, "MAX_ENTRIES", 150)
    folder = tmp_path / "subs"
    for index in range(100):
        (folder / "mal.lory" / f"d{index:03d}").mkdir(parents=True)
        (folder / "mal.lory" / f"d{index:03d}" / "GC.ipynb").write_text("{}")
    for index in range(40):
        (folder / "alice" / f"d{index:03d}").mkdir(parents=True)
    (folder / "alice" / "d039" / "GC.ipynb").write_text("{}")
    found, cut = grading._notebooks_below(folder, most=200)
    assert found[0] == folder / "alice" / "d039" / "GC.ipynb"
    assert found[1:] == [folder / "mal.lory" / f"d{i:03d}" / "GC.ipynb" for i in range(50)]
    assert [(learner_of(e.path, folder), e.reason) for e in cut] == [
        (
            "mal.lory",
            "more than 150 files and folders: the notebooks past them were not looked for",
        )
    ]
    for index in range(10, 100):  # 10 notebooks left, of no more than the limit
        (folder / "mal.lory" / f"d{index:03d}" / "GC.ipynb").unlink()
    monkeypatch.setattr(grading, "MAX_ENTRIES", 105)  # its 100 folders and 5 notebooks
    monkeypatch.setattr("tests.grading.__main__.grade_all", lambda paths, *a, **k: [])
    monkeypatch.setattr("tests.grading.__main__.find_isolation", lambda **k: None)
    assert main(["grade", "--csv", str(tmp_path / "book.csv"), str(folder)]) == 2
    assert [row[:: len(row) - 1] for row in read_csv(tmp_path / "book.csv")] == [
        ["learner", "not graded"],
        [
            "mal.lory",
            "mal.lory: more than 105 files and folders: the notebooks past them were not "
            "looked for",
        ],
    ]


def test_a_learner_folder_named_like_a_notebook_is_that_learner_not_another(tmp_path, monkeypatch):
    """Attacker round 9: beside bob, a folder bob.ipynb was listed as a notebook of learner bob
    (a folder, not a notebook) and its cut-short walk was bob's line too, on bob's page. It is
    the learner bob.ipynb, walked like any learner's folder."""
    monkeypatch.setattr(grading, "MAX_ENTRIES", 20)
    folder = tmp_path / "subs"
    for learner in ("bob", "bob.ipynb"):
        (folder / learner).mkdir(parents=True)
        (folder / learner / "GC.ipynb").write_text("{}")
    (folder / "bob.ipynb" / "pad").mkdir()  # walked after the folder's own files
    for index in range(30):
        (folder / "bob.ipynb" / "pad" / f"{index:02d}").write_text("")
    found, cut = submissions([folder])
    assert [(str(p.relative_to(folder)), learner_of(p, folder)) for p in found] == [
        ("bob/GC.ipynb", "bob"),
        ("bob.ipynb/GC.ipynb", "bob.ipynb"),
    ]
    assert [learner_of(e.path, folder) for e in cut] == ["bob.ipynb"]
    feedback = tmp_path / "feedback"
    written, failed = write_pages(cut + cut, folder, feedback)  # two lines of one path
    assert failed == [] and len(set(written)) == 2 == len(list(feedback.iterdir()))


def test_the_folder_given_is_walked_to_a_bound_too(tmp_path, monkeypatch):
    """Attacker round 9: a learner's own folder given (grade subs/alice) had no bound: 200,000
    notebooks in it were 200,000 learners to grade, 122 MiB more for the grader to list."""
    monkeypatch.setattr(grading, "MAX_ENTRIES", 10)
    folder = tmp_path / "alice"
    folder.mkdir()
    for index in range(40):
        (folder / f"n{index:02d}.ipynb").write_text("{}")
    found, cut = submissions([folder])
    assert len(found) == 10 and [(learner_of(e.path, folder), e.path) for e in cut] == [
        (str(folder), str(folder))
    ]


@pytest.mark.parametrize("kind", ["folder", "folder holding a notebook"])
def test_a_folder_named_like_a_notebook_gets_its_own_reason(tmp_path, kind):
    path = tmp_path / "alice" / "Initialization.ipynb"
    path.mkdir(parents=True)
    if kind != "folder":
        (path / "Initialization.ipynb").write_text("{}")
    assert path in submissions([tmp_path])[0]
    with pytest.raises(GradingError) as raised:
        read_submission(path)
    assert raised.value.reason == "cannot be graded: a folder, not a notebook"


@pytest.mark.parametrize("kind", ["link", "FIFO", "socket", "device", "folder"])
def test_what_is_not_a_regular_file_is_refused_without_being_opened(tmp_path, kind, monkeypatch):
    """An archive unpacked by root can hold a device node, and opening a device can act (a
    watchdog device arms a reboot): the grader opened the file, then refused it."""
    path = tmp_path / "Gradient_Checking.ipynb"
    if kind == "link":
        path.symlink_to(tmp_path / "elsewhere.ipynb")
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("only root makes device nodes")
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    else:
        not_regular(kind, path)
    opened = []
    real_open = os.open
    monkeypatch.setattr(
        grading.os, "open", lambda name, *a, **k: opened.append(name) or real_open(name, *a, **k)
    )
    with pytest.raises(GradingError) as raised:
        read_submission(path)
    assert raised.value.reason == {
        "link": "cannot be graded: a link, not a notebook",
        "folder": "cannot be graded: a folder, not a notebook",
    }.get(kind, "cannot be graded: not a regular file")
    assert opened == []


# 2. The gradebook: written, or one error naming it; the rest of the report is written anyway.


def not_regular(kind, path):
    if kind == "folder":
        path.mkdir()
        (path / "notes.txt").write_text("an archive's")
    elif kind == "empty folder":
        path.mkdir()
    elif kind == "FIFO":
        os.mkfifo(path)
    elif kind == "socket":
        import socket

        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()


@pytest.mark.parametrize("kind", ["folder", "empty folder", "FIFO", "socket"])
def test_the_gradebook_is_not_written_over_what_is_not_a_file(tmp_path, kind):
    out = tmp_path / "gradebook.csv"
    not_regular(kind, out)
    before = os.lstat(out)
    with pytest.raises(OutputError) as raised:
        write_gradebook([result(tmp_path / "alice" / "a.ipynb")], tmp_path, out)
    assert str(out) in str(raised.value) and "not a file" in raised.value.reason
    assert os.lstat(out).st_mode == before.st_mode and os.lstat(out).st_ino == before.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gradebook.csv"]  # no partial file


@pytest.mark.parametrize("where", ["missing folder", "a file as its folder", "name too long"])
def test_a_gradebook_that_cannot_be_written_raises_one_error_naming_it(tmp_path, where):
    (tmp_path / "file").write_text("x")
    out = {
        "missing folder": tmp_path / "missing" / "gradebook.csv",
        "a file as its folder": tmp_path / "file" / "gradebook.csv",
        "name too long": tmp_path / ("g" * 300 + ".csv"),
    }[where]
    with pytest.raises(OutputError) as raised:
        write_gradebook([result(tmp_path / "alice" / "a.ipynb")], tmp_path, out)
    assert str(raised.value).startswith(f"{out}: cannot be written (")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_link_at_the_gradebook_is_replaced_and_what_it_points_to_is_not(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("not the gradebook")
    out = tmp_path / "gradebook.csv"
    out.symlink_to(target)
    write_gradebook([result(tmp_path / "alice" / "a.ipynb")], tmp_path, out)
    assert not out.is_symlink() and read_csv(out)[1] == ["alice", "1", "1", ""]
    assert target.read_text() == "not the gradebook"


def test_write_file_leaves_no_partial_when_the_rename_fails(tmp_path, monkeypatch):
    def refuse(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputError, match="No space left on device"):
        write_file(tmp_path / "page.html", "text")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def graded_class(tmp_path, monkeypatch):
    """A class folder whose grading is made up here (no kernel): alice graded, bob not; the
    current folder is the one it is in."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "subs"
    for learner in ("alice", "bob"):
        (folder / learner).mkdir(parents=True)
        (folder / learner / "Initialization.ipynb").write_text("{}")
    outcomes = [
        result(folder / "alice" / "Initialization.ipynb"),
        GradingError(folder / "bob" / "Initialization.ipynb", "not a valid Jupyter notebook"),
    ]
    monkeypatch.setattr(
        "tests.grading.__main__.grade_all", lambda paths, *args, **kwargs: outcomes
    )
    return folder


@pytest.mark.parametrize("kind", ["folder", "FIFO"])
def test_a_gradebook_in_the_way_costs_one_error_line_and_every_page_is_written(
    graded_class, tmp_path, capsys, kind
):
    not_regular(kind, tmp_path / "gradebook.csv")
    feedback = tmp_path / "feedback"
    status = main(["grade", "--no-sandbox", "--feedback", str(feedback), str(graded_class)])
    err = capsys.readouterr().err
    assert status == 3
    assert sorted(p.name for p in feedback.iterdir()) == [
        "alice-Initialization.html",
        "bob-Initialization.html",
    ]
    errors = [line for line in err.splitlines() if line.startswith("error: gradebook")]
    assert errors == [
        "error: gradebook not written: gradebook.csv: a "
        + ("folder" if kind == "folder" else "FIFO")
        + " is there, not a file; left as it is, nothing written (--csv FILE: elsewhere)"
    ]
    assert "Traceback" not in err
    assert sorted(p.name for p in graded_class.iterdir()) == ["alice", "bob"]


def test_a_learner_named_like_the_gradebook_does_not_stop_it(graded_class, tmp_path):
    """In the folder graded, where the gradebook used to go, a learner's folder of that name
    left the whole batch without one (issue #25's attacker)."""
    (graded_class / "gradebook.csv").mkdir()
    assert main(["grade", "--no-sandbox", str(graded_class)]) == 0
    assert [row[0] for row in read_csv(tmp_path / "gradebook.csv")] == ["learner", "alice", "bob"]


@pytest.mark.parametrize("where", ["the folder graded", "a learner's folder", "a learner"])
def test_no_default_gradebook_among_the_submissions(graded_class, monkeypatch, capsys, where):
    """Graded from inside the folder graded (or with its learners given one by one, one of them
    named gradebook.csv), the default gradebook would be a path a learner can take: the command
    says so before grading anything, and writes nothing."""
    (graded_class / "gradebook.csv").mkdir()
    monkeypatch.chdir(graded_class / "alice" if where == "a learner's folder" else graded_class)
    given = {  # the last as the shell expands *: alice bob gradebook.csv
        "the folder graded": ["."],
        "a learner's folder": [".."],
        "a learner": sorted(os.listdir(".")),
    }[where]
    before = sorted(p.relative_to(graded_class) for p in graded_class.rglob("*"))
    assert main(["grade", "--no-sandbox", *given]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the gradebook's default place, ") and "--csv FILE" in err
    assert err.count("\n") == 1
    assert sorted(p.relative_to(graded_class) for p in graded_class.rglob("*")) == before


def test_the_default_gradebook_is_placed_by_its_folder_not_by_where_a_link_there_points(
    graded_class, tmp_path, monkeypatch, capsys
):
    """Attacker round 9: a link at the default place was followed by the check, but the write
    replaces the link itself: one pointing outside let the gradebook be written among the
    submissions, one pointing into them stopped a grading run from outside."""
    (graded_class / "gradebook.csv").symlink_to(tmp_path / "elsewhere.csv")
    monkeypatch.chdir(graded_class)
    assert main(["grade", "--no-sandbox", "."]) == 2
    assert "default place" in capsys.readouterr().err
    (graded_class / "gradebook.csv").unlink()
    monkeypatch.chdir(tmp_path)
    Path("gradebook.csv").symlink_to(graded_class / "alice" / "book.csv")
    assert main(["grade", "--no-sandbox", str(graded_class)]) == 0
    assert (
        not Path("gradebook.csv").is_symlink()
        and not (graded_class / "alice" / "book.csv").exists()
    )


def test_a_gradebook_asked_for_among_the_submissions_is_written_there(graded_class, monkeypatch):
    monkeypatch.chdir(graded_class)
    assert main(["grade", "--no-sandbox", "--csv", "gradebook.csv", "."]) == 0
    assert [row[0] for row in read_csv("gradebook.csv")] == ["learner", "alice", "bob"]


def test_with_the_gradebook_written_elsewhere_the_status_is_0(graded_class, tmp_path, capsys):
    not_regular("folder", tmp_path / "gradebook.csv")
    out = tmp_path / "book.csv"
    assert main(["grade", "--no-sandbox", "--csv", str(out), str(graded_class)]) == 0
    assert [row[0] for row in read_csv(out)] == ["learner", "alice", "bob"]


def test_a_page_that_cannot_be_written_is_a_line_and_the_others_are_written(tmp_path):
    feedback = tmp_path / "feedback"
    (feedback / "alice-a.html").mkdir(parents=True)  # in the way of alice's page
    outcomes = [result(tmp_path / n / "a.ipynb") for n in ("alice", "bob")]
    written, failed = write_pages(outcomes, tmp_path, feedback)
    assert written == [feedback / "bob-a.html"]
    assert [str(e) for e in failed] == [
        f"{feedback / 'alice-a.html'}: a folder is there, not a file; left as it is, "
        "nothing written"
    ]
    assert sorted(p.name for p in feedback.iterdir()) == ["alice-a.html", "bob-a.html"]


def test_a_feedback_folder_that_cannot_be_made_is_one_error(tmp_path):
    (tmp_path / "feedback").write_text("a file")
    written, failed = write_pages(
        [result(tmp_path / "a" / "x.ipynb")], tmp_path, tmp_path / "feedback"
    )
    assert written == [] and len(failed) == 1 and "cannot be made" in str(failed[0])


# 3. Names that are not UTF-8, too long, or alike: every page is written, and each is its own.

HOSTILE_NAMES = [
    os.fsdecode(b"bob\xff"),  # not UTF-8
    os.fsdecode(b"\xc3("),  # a truncated UTF-8 sequence
    "x" * 240,  # a page name past NAME_MAX
    "é" * 200,  # 400 bytes of UTF-8
    "o'brien",
    "o(brien",
    "o brien",
    "o_brien",
    "...",
    ".hidden",
    "Alice",
    "alice",
    "a-b",
    "a",
    "tab\there",
    "new\nline",
    "\x1b[31mred",
    "right\u202eleft",
]


def test_every_learner_gets_a_page_of_their_own_with_a_short_safe_name(tmp_path):
    root = tmp_path / "subs"
    notebooks = [root / name / "Initialization.ipynb" for name in HOSTILE_NAMES]
    notebooks += [root / "a-b" / "c.ipynb", root / "a" / "b-c.ipynb"]  # both "a-b-c"
    notebooks += [root / "alice" / "one" / "GC.ipynb", root / "alice" / "two" / "GC.ipynb"]
    outcomes = [result(n) for n in notebooks]
    outcomes.append(GradingError(root / "zed" / os.fsdecode(b"Init\xff.ipynb"), "not valid"))
    written, failed = write_pages(outcomes, root, tmp_path / "feedback")
    assert failed == [] and len(written) == len(outcomes)
    names = [p.name for p in written]
    assert len({n.lower() for n in names}) == len(names), "one page each, whatever the case"
    # Where names read alike, none keeps the plain name (a learner "a" could otherwise take "a-b"'s
    # by submitting b-c.ipynb, since the first graded got it): the path decides each.
    plain = {"a-b-c.html", "alice-GC.html", "alice-initialization.html"}
    assert plain.isdisjoint(n.lower() for n in names), names
    assert "a-Initialization.html" in names, "a name that reads like no other keeps its own"
    for name in names:
        assert len(os.fsencode(name)) <= 120 and name.isascii() and name.endswith(".html")
        assert not name.startswith(".") and "/" not in name
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == sorted(names)
    text = (tmp_path / "feedback" / names[0]).read_text(encoding="utf-8")
    assert "Learner: bob\\xff" in text
    assert "Init\\xff.ipynb" in written[-1].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "learner, notebook, name",
    [
        ("alice", "Gradient_Checking.ipynb", "alice-Gradient_Checking.html"),
        ("ann", "sub/GC.ipynb", "ann-GC.html"),
        ("a.b-c_d", "x.ipynb", "a.b-c_d-x.html"),
    ],
)
def test_a_plain_name_keeps_its_page_name(learner, notebook, name):
    assert page_name(learner, notebook) == name


@pytest.mark.parametrize("first, second", [("o'brien", "o(brien"), ("o brien", "o_brien")])
def test_names_that_read_alike_get_pages_of_their_own(first, second):
    assert page_name(first, "I.ipynb") != page_name(second, "I.ipynb")


def test_the_gradebook_shows_names_that_are_not_utf8_as_escapes(tmp_path):
    root = tmp_path / "subs"
    outcomes = [
        result(root / "alice" / "Initialization.ipynb"),
        result(root / os.fsdecode(b"bob\xff") / "Initialization.ipynb"),
        GradingError(root / "carol" / os.fsdecode(b"x\xff.ipynb"), "not a valid notebook"),
    ]
    write_gradebook(outcomes, root, tmp_path / "gradebook.csv")
    rows = read_csv(tmp_path / "gradebook.csv")
    assert [row[0] for row in rows[1:]] == ["alice", "bob\\xff", "carol"]
    assert rows[3][-1] == "x\\xff.ipynb: not a valid notebook"


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_two_notebooks_of_one_assignment_count_neither_and_say_so(tmp_path, order):
    """Whichever order they are graded in: no last-wins, no best of several attempts."""
    root = tmp_path / "subs"
    both = [
        result(root / "alice" / "Initialization.ipynb", [("f", 1, True, "correct")]),
        result(root / "alice" / "old" / "Initialization.ipynb", [("f", 1, False, "wrong")]),
    ]
    other = result(root / "alice" / "Regularization.ipynb", assignment="regularization")
    write_gradebook([both[order[0]], other, both[order[1]]], root, tmp_path / "gradebook.csv")
    header, alice = read_csv(tmp_path / "gradebook.csv")
    assert dict(zip(header, alice, strict=True)) == {
        "learner": "alice",
        "initialization/f": "0",
        "regularization/f": "1",
        "total": "1",
        "not graded": "2 notebooks of initialization "
        f"({', '.join(['Initialization.ipynb', 'old/Initialization.ipynb'][i] for i in order)})"
        ": none counted; keep one",
    }


def test_json_keeps_the_text_as_it_is(tmp_path):
    message = "raised ValueError: \r\x1b[K  fake row  1/1  yes"
    done = result(tmp_path / "a.ipynb", [("f", 1, False, message)])
    assert as_json(done)["exercises"][0]["message"] == message
    assert json.loads(json.dumps(as_json(done)))["exercises"][0]["message"] == message


# 4. CSV cells that a spreadsheet would run as formulas.


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_cell_that_starts_like_a_formula_is_written_as_text(tmp_path, start):
    root = tmp_path / "subs"
    learner = f"{start}cmd|' -C calc'!A0"
    outcomes = [
        result(root / learner / "Initialization.ipynb"),
        GradingError(root / "bob" / f"{start}HYPERLINK(1).ipynb", "not a valid notebook"),
    ]
    write_gradebook(outcomes, root, tmp_path / "gradebook.csv")
    rows = read_csv(tmp_path / "gradebook.csv")
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    by_learner = {row[0]: row for row in rows[1:]}
    # a tab or CR is escaped first (\t, \r), and then the cell no longer starts like a formula
    quote = "" if start in "\t\r" else "'"
    assert set(by_learner) == {f"{quote}{visible(start)}cmd|' -C calc'!A0", "bob"}
    assert by_learner["bob"][-1] == (
        f"{quote}{visible(start)}HYPERLINK(1).ipynb: not a valid notebook"
    )


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=1+1", "'=1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1", "'+1"),
        ("\t=1", "\\t=1"),  # escaped first: no longer a tab, nor a formula
        ("a=1", "a=1"),
        ("alice", "alice"),
        (3, 3),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


# 5. What reaches the instructor's terminal.

CONTROLS = {
    "\r": "\\r",
    "\x1b[K": "\\x1b[K",
    "\x9b2J": "\\x9b2J",  # C1 CSI
    "\x00": "\\x00",
    "\x7f": "\\x7f",
    "\u202e": "\\u202e",  # right-to-left override (Cf)
    "\u2028": "\\u2028",  # line separator
    "\n": "\\n",
    "\b": "\\x08",
    os.fsdecode(b"\xff"): "\\xff",
    "\U000e0041": "\\U000e0041",  # a tag character (Cf), outside the BMP
}


@pytest.mark.parametrize("control", CONTROLS)
def test_the_table_shows_every_control_character_escaped(tmp_path, control):
    done = result(
        tmp_path / f"note{control}book.ipynb",
        [("initialize_parameters_he", 1, False, f"raised ValueError: {control}  1/1  yes")],
    )
    done.cut_off = [f"cell 3: {control}cut off"]
    text = table(done)
    lines = text.split("\n")
    assert len(lines) == 5 and all(line.isprintable() for line in lines)
    assert f"raised ValueError: {CONTROLS[control]}  1/1  yes" in lines[2]
    assert lines[0].startswith(str(tmp_path / f"note{CONTROLS[control]}book.ipynb"))
    assert lines[4] == f"  cell 3: {CONTROLS[control]}cut off"


def test_visible_leaves_printable_text_alone():
    text = "wrong: dW# doubled, Ünïcode and 中文 stay; so do spaces"
    assert visible(text) == text and visible("a\nb", keep="\n") == "a\nb"


def test_error_lines_of_the_command_are_escaped(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "subs"
    (folder / "bob").mkdir(parents=True)
    bad = folder / "bob" / "\x1b]0;owned\x07\r.ipynb"
    bad.write_text("{}")
    outcomes = [GradingError(bad, "not a valid Jupyter notebook")]
    monkeypatch.setattr(
        "tests.grading.__main__.grade_all", lambda paths, *args, **kwargs: outcomes
    )
    assert main(["grade", "--no-sandbox", str(folder)]) == 2
    err = capsys.readouterr().err
    assert all(line.isprintable() for line in err.splitlines())
    assert "bob/\\x1b]0;owned\\x07\\r.ipynb: not a valid Jupyter notebook" in err


# 6. Several folders: each learner is named by the folder they were found in.


@pytest.mark.parametrize(
    "path, roots, learner",
    [
        ("subs/alice/GC.ipynb", ["subs"], "alice"),
        ("subs/alice/deep/GC.ipynb", ["subs/"], "alice"),
        ("subs/GC.ipynb", ["subs"], "GC"),
        ("sec1/bob/GC.ipynb", ["sec1", "sec2"], "sec1/bob"),
        ("sec2/bob/GC.ipynb", ["sec1", "sec2"], "sec2/bob"),
        ("sec2/bob/GC.ipynb", ["./sec1/", "./sec2/"], "sec2/bob"),
        ("a/sec/bob/GC.ipynb", ["a/sec", "b/sec"], "a/sec/bob"),
        ("b/sec/bob/GC.ipynb", ["a/sec", "b/sec"], "b/sec/bob"),
        ("sub/alice/GC.ipynb", ["sub/alice/GC.ipynb"], "sub/alice"),
        ("GC.ipynb", ["GC.ipynb"], "GC"),
        ("extra/dan/GC.ipynb", ["sec1", "extra/dan/GC.ipynb"], "extra/dan"),
    ],
)
def test_learner_of(path, roots, learner):
    assert learner_of(path, roots) == learner


def test_two_folders_never_share_a_row(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder, learner in [("sec1", "alice"), ("sec1", "bob"), ("sec2", "bob"), ("sec2", "cy")]:
        Path(folder, learner).mkdir(parents=True)
        Path(folder, learner, "GC.ipynb").write_text("{}")
    found, _ = submissions(["sec1", "sec2", "sec1/bob"])  # the last is inside the first: once
    assert [str(p) for p in found] == [
        "sec1/alice/GC.ipynb",
        "sec1/bob/GC.ipynb",
        "sec2/bob/GC.ipynb",
        "sec2/cy/GC.ipynb",
    ]
    outcomes = [result(p, [("f", 1, i % 2 == 0, "m")]) for i, p in enumerate(found)]
    write_gradebook(outcomes, ["sec1", "sec2"], "out.csv")
    assert read_csv("out.csv")[1:] == [
        ["sec1/alice", "1", "1", ""],
        ["sec1/bob", "0", "0", ""],
        ["sec2/bob", "1", "1", ""],
        ["sec2/cy", "0", "0", ""],
    ]
    written, failed = write_pages(outcomes, ["sec1", "sec2"], "feedback")
    assert failed == [] and len({p.name for p in written}) == 4
    learners = sorted(
        p.read_text().split("Learner: ")[1].split(" ·")[0] for p in Path("feedback").iterdir()
    )
    assert learners == ["sec1/alice", "sec1/bob", "sec2/bob", "sec2/cy"]


def test_the_command_names_each_folders_learners_by_their_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for folder in ("sec1", "sec2"):
        Path(folder, "bob").mkdir(parents=True)
        Path(folder, "bob", "GC.ipynb").write_text("{}")
    monkeypatch.setattr(
        "tests.grading.__main__.grade_all",
        lambda paths, *args, **kwargs: [
            result(p, [("f", 1, p.parts[0] == "sec1", "m")]) for p in paths
        ],
    )
    assert main(["grade", "--no-sandbox", "--csv", "out.csv", "sec1", "sec2"]) == 0
    assert read_csv("out.csv")[1:] == [["sec1/bob", "1", "1", ""], ["sec2/bob", "0", "0", ""]]
