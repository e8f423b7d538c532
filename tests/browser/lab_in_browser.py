"""The learner's path in a real browser: JupyterLab as `make lab` opens it, driven by Chromium.

Run by `make browser-test` (this file is named so that `make test` does not collect it). JupyterLab
starts from .venv, as `make lab` starts it, on a copy of the course in a temporary folder (Run All
and Save must not touch the repository), on a free port with a token, with throw-away config, data,
settings, workspaces and runtime folders, so that nothing of the user's own JupyterLab is read or
written.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.browser.chromium import (  # noqa: F401 (the fixture browser)
    ROOT,
    SCREENSHOTS,
    chromium_browser,
    course_map,
    page_state,
    problems,
)

NOTEBOOKS = course_map()
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on show
COURSE = ("part_1_initialisation", "part_2_regularization", "part_3_gradient_checking")
COURSE += ("notebooks", "datasets")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the course: (base URL, token, the copy's folder)."""
    home = tmp_path_factory.mktemp("lab")
    copy = home / "course"
    for name in COURSE:
        ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    shutil.copy(ROOT / "README.md", copy)
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        **{
            variable: str(home / folder)
            for variable, folder in (
                ("JUPYTER_CONFIG_DIR", "config"),
                ("JUPYTER_DATA_DIR", "data"),
                ("JUPYTER_RUNTIME_DIR", "runtime"),
                ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                ("IPYTHONDIR", "ipython"),
            )
        },
    }
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser"]
    command += [f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={copy}"]
    command += [f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    with open(home / "lab.log", "w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(home / 'lab.log').read_text()}")
                time.sleep(0.2)
        yield base, token, copy
    finally:
        server.terminate()
        server.wait(timeout=30)


def open_notebook(browser, lab, relative, kernel=True):
    """A page showing the notebook at ``relative`` (to the course folder), its cells rendered;
    with ``kernel``, once its kernel is ready to run cells."""
    base, token, _ = lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    workspace = secrets.token_hex(4)  # a new workspace: no tab of an earlier test comes back
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{relative}?token={token}&reset")
    # Not just any cell: until the file has loaded, the panel shows one empty placeholder cell
    # (a cold server took seconds). Every notebook of the course opens with a markdown cell.
    page.wait_for_selector(f"{PANEL} .jp-MarkdownCell .jp-RenderedMarkdown", timeout=60_000)
    if kernel:  # ready when the status bar says so: "Python 3 (ipykernel) | Idle"
        page.wait_for_function("() => /\\| Idle/.test(document.body.innerText)", timeout=60_000)
    page.wait_for_load_state("networkidle")
    return page


def scroll_through(page):
    """Scroll the notebook to its end and back (JupyterLab renders cells as they come in view)."""
    page.evaluate(
        """async (panel) => {
            const outer = document.querySelector(panel + ' .jp-WindowedPanel-outer');
            const pause = () => new Promise(done => setTimeout(done, 60));
            for (let top = 0; top < outer.scrollHeight; top += outer.clientHeight / 2) {
                outer.scrollTop = top;
                await pause();
            }
            outer.scrollTop = 0;
            // MathJax typesets in the background: wait until the count of formulas settles.
            let last = -1, same = 0;
            while (same < 5) {
                await pause();
                const now = document.querySelectorAll(panel + ' mjx-container').length;
                same = now === last ? same + 1 : 0;
                last = now;
            }
        }""",
        PANEL,
    )
    page.wait_for_load_state("networkidle")


def link_exists(lab, notebook):
    """Whether a link of the rendered notebook at ``notebook`` points to something that exists."""
    base, _, copy = lab

    def exists(href):
        parsed = urllib.parse.urlparse(href)
        if parsed.scheme in ("http", "https", "mailto") and not href.startswith(base):
            return True  # outside the course: not checked (and never requested by the tests)
        path = urllib.parse.unquote(parsed.path)
        for prefix in ("/files/", "/lab/tree/", "/tree/"):
            if path.startswith(prefix):
                return (copy / path[len(prefix) :]).exists()
        if not path:  # an anchor in the same notebook
            return True
        return (copy / notebook).parent.joinpath(path).resolve().exists()

    return exists


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_figure_formula_and_link_of_a_notebook_displays(browser, lab, notebook):
    page = open_notebook(browser, lab, notebook, kernel=False)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"lab-{Path(notebook).stem}.png"))
        scroll_through(page)
        state = page_state(page, f"{PANEL} .jp-Notebook", ".jp-RenderedMarkdown")
        assert state["formulas"] > 0 and state["images"] > 0, f"{notebook}: nothing rendered"
        found = problems(state, link_exists(lab, notebook))
        assert not found, f"{notebook}: " + "; ".join(found)
    finally:
        page.close()


def run_all_and_save(page, code_cells):
    """Run → Run All Cells, wait until each of the ``code_cells`` has run, then save (Ctrl+S).

    The stored outputs already number every prompt: the run is over once a prompt has shown
    ``[*]`` (queued or running) and then every one of the notebook's prompts, each attached to
    the page (JupyterLab attaches cells out of view when it is idle), shows a number again.
    Waiting for numbers alone once saved a notebook with a cell not yet run."""
    prompts = f"[...document.querySelectorAll('{PANEL} .jp-CodeCell .jp-InputArea-prompt')]"
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(f"() => {prompts}.some(p => p.textContent.includes('[*]'))")
    page.wait_for_function(
        f"""(n) => {{
            const all = {prompts};
            return all.length === n && all.every(p => /\\[\\d+\\]/.test(p.textContent));
        }}""",
        arg=code_cells,
        timeout=120_000,
    )
    assert page.locator(".jp-Dialog").count() == 0, "a dialog opened during Run All"
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')")


@pytest.mark.parametrize(
    "notebook",
    [
        "part_3_gradient_checking/Gradient_Checking.ipynb",
        "notebooks/03_Vanishing_Exploding_Gradients.ipynb",
    ],
)
def test_run_all_from_the_menu_runs_every_cell_without_an_error(browser, lab, notebook):
    stored = nbformat.read(lab[2] / notebook, as_version=4)
    page = open_notebook(browser, lab, notebook)
    try:
        run_all_and_save(page, sum(cell.cell_type == "code" for cell in stored.cells))
    finally:
        page.close()
    saved = nbformat.read(lab[2] / notebook, as_version=4)
    code = [cell for cell in saved.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "a code cell did not run"
    errors = [o.ename for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"{notebook}: errors {errors}"


def test_a_learner_copy_says_the_first_exercise_is_not_done_yet(browser, lab):
    _, _, copy = lab
    subprocess.run(
        [sys.executable, "-m", "tests.grading", "release", "--out", str(copy / "release")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    relative = "release/part_3_gradient_checking/Gradient_Checking.ipynb"
    released = nbformat.read(copy / relative, as_version=4)
    first_check = next(
        index
        for index, cell in enumerate(released.cells)
        if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("check_")
    )
    exercise = released.cells[first_check].metadata["nbgrader"]["grade_id"][len("check_") :]
    page = open_notebook(browser, lab, relative)
    try:
        page.locator(f"{PANEL} .jp-Cell").first.click()
        page.keyboard.press("Escape")  # command mode: Shift+Enter runs a cell and moves on
        for _ in range(first_check + 1):
            page.keyboard.press("Shift+Enter")
        message = f"{exercise} is not done yet: write its code where it says YOUR CODE HERE."
        output = page.locator(f"{PANEL} .jp-OutputArea-output", has_text=message)
        try:
            output.first.wait_for(timeout=60_000)
        finally:
            page.screenshot(path=str(SCREENSHOTS / "lab-learner-copy.png"))
    finally:
        page.close()


PLANTED = {  # a notebook of the course map, what is planted in it, and what the test must say
    "broken image": (
        NOTEBOOKS[0],
        "![a figure](figures/missing.png)",
        "figures that do not display",
    ),
    "bad formula": (NOTEBOOKS[1], "A bad formula: $\\frac{1}{$.", "typeset"),
    "dead link": (
        NOTEBOOKS[2],
        "See [the missing notes](../notes/missing.ipynb).",
        "links to nothing",
    ),
}


@pytest.mark.parametrize("planted", PLANTED)
def test_the_test_fails_on_a_planted_fault_and_names_the_notebook(browser, lab, planted):
    """A test of the test: each fault, planted in another notebook, fails it with its name."""
    notebook, markdown, says = PLANTED[planted]
    relative = str(Path(notebook).with_name(f"planted_{Path(notebook).name}"))
    copy = nbformat.read(lab[2] / notebook, as_version=4)
    copy.cells.insert(1, nbformat.v4.new_markdown_cell(markdown))
    nbformat.write(copy, lab[2] / relative)
    with pytest.raises(AssertionError) as failed:
        test_every_figure_formula_and_link_of_a_notebook_displays(browser, lab, relative)
    assert relative in str(failed.value) and says in str(failed.value), failed.value
