"""Chromium for the browser tests, and what they check on a page of a notebook.

The system's Chromium (Debian's package ``chromium``) when there is one, else the one that
``python -m playwright install chromium`` downloads. When neither starts, the tests fail with a
message that says how to get one: they never pass without having run.
"""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.book import build

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "browser" / "screenshots"

# As root Chromium needs --no-sandbox; the others keep it from calling Google's servers (this
# machine has no network, and a rendered course must make no request outside itself).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_GET_ONE = (
    "no Chromium could be started. Install the system's (Debian/Ubuntu: `sudo apt-get install "
    "chromium`) or Playwright's own (`.venv/bin/python -m playwright install chromium`), then run "
    "`make browser-test` again."
)


def launch(playwright):
    """Start Chromium headless: the system's first, else Playwright's own."""
    system = shutil.which("chromium") or shutil.which("chromium-browser")
    errors = []
    for executable in ([system] if system else []) + [None]:
        try:
            return playwright.chromium.launch(executable_path=executable, args=ARGS)
        except Exception as error:  # noqa: BLE001 - each failure is reported below
            errors.append(f"{executable or 'Playwright chromium'}: {str(error).splitlines()[0]}")
    pytest.fail(f"{HOW_TO_GET_ONE} ({'; '.join(errors)})", pytrace=False)


@pytest.fixture(scope="module", name="browser")
def chromium_browser():
    """Chromium, for the tests of one module; screenshots go to SCREENSHOTS."""
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield chromium
        chromium.close()


def course_map():
    """The notebooks of README's course map, in reading order (as the site's contents)."""
    return build.course_map()[1]


# What a page shows, read in the browser: figures, math, links and dialogs.
_PAGE_STATE = """([root, prose_selector]) => {
    const scope = document.querySelector(root) || document.body;
    const images = [...scope.querySelectorAll('img')];
    const prose = [...scope.querySelectorAll(prose_selector)];
    const text = prose.map(element => {
        const copy = element.cloneNode(true);
        copy.querySelectorAll('mjx-container, .MathJax, code, pre').forEach(m => m.remove());
        return copy.textContent;
    }).join('\\n');
    return {
        images: images.length,
        broken: images.filter(i => !i.complete || i.naturalWidth === 0)
                      .map(i => (i.getAttribute('src') || '').slice(0, 80)),
        formulas: scope.querySelectorAll('mjx-container').length,
        math_errors: [...scope.querySelectorAll('mjx-merror, .mjx-merror, [data-mjx-error]')]
                      .map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 5),
        raw_tex: (text.match(
            /\\$[^$\\n]{1,80}\\$|\\\\(frac|sum|mathbf|left|partial)\\b[^\\n]{0,40}|\\\\[(\\[]/g
        ) || []).slice(0, 5),
        links: [...scope.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
        dialogs: document.querySelectorAll('.jp-Dialog, [role=dialog]').length,
    };
}"""


def page_state(page, root, prose):
    """Figures, formulas, links and dialogs of the element ``root``, whose prose is ``prose``."""
    return page.evaluate(_PAGE_STATE, [root, prose])


def problems(state, exists):
    """What is wrong on a page, from ``page_state``; ``exists(href)`` says whether a link's
    target is there."""
    found = []
    if state["broken"]:
        found.append(f"figures that do not display: {state['broken']}")
    if state["math_errors"]:
        found.append(f"formulas MathJax could not typeset: {state['math_errors']}")
    if state["raw_tex"]:
        found.append(f"TeX left untypeset in the prose: {state['raw_tex']}")
    dead = [href for href in state["links"] if not exists(href)]
    if dead:
        found.append(f"links to nothing: {dead}")
    if state["dialogs"]:
        found.append(f"{state['dialogs']} dialog(s) open")
    return found
