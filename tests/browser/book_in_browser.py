"""The rendered course (`make book`) in a real browser: every page, served on localhost.

Run by `make browser-test` after `make book`. Every page of the site opens from a local HTTP server
and must show its figures and typeset formulas, link only to what exists, let the navigation reach
every notebook, make no request outside the site, and raise no script error.
"""

import functools
import http.server
import threading
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.book import build
from tests.browser.chromium import (  # noqa: F401 (the fixture browser)
    SCREENSHOTS,
    chromium_browser,
    course_map,
    page_state,
    problems,
)

CONTENT = "article.bd-article"  # the page's own content, without the theme's navigation


def pages(site):
    return sorted(
        str(path.relative_to(site))
        for path in site.rglob("*.html")
        if not path.relative_to(site).parts[0].startswith("_")
    )


@pytest.fixture(scope="module")
def site():
    """The site `make book` built, served on a free port: (base URL, its folder)."""
    if not (build.SITE / "index.html").is_file():
        pytest.fail("no site to test: run `make book` first (make browser-test does)")
    served, server = _serve(build.SITE)
    try:
        yield served
    finally:
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def link_exists(site, page):
    """Whether a link on ``page`` points into the site at something that exists."""
    base, folder = site

    def exists(href):
        url = urllib.parse.urljoin(f"{base}/{page}", href)
        if not url.startswith(base):
            return True  # outside the site: a link, never requested
        path = urllib.parse.unquote(urllib.parse.urlparse(url).path).lstrip("/")
        return (folder / path).exists() or (folder / path / "index.html").exists()

    return exists


def check_page(browser, site, page_name):
    """Open a page of the site; return what is wrong on it, requests outside the site included."""
    base, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, failed, errors = [], [], []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((base, "data:", "blob:"))
            else outside.append(request.url)
        ),
    )
    page.on("requestfailed", lambda request: failed.append(f"{request.url} ({request.failure})"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/{page_name}", wait_until="networkidle")
        try:  # polled on a timer: a busy headless browser may not give the page animation frames
            page.wait_for_function(
                "() => !document.querySelector('.math') || window.MathJax?.startup?.promise",
                polling=100,
                timeout=60_000,
            )
        except PlaywrightTimeoutError:
            return [
                f"MathJax did not start in 60 s (failed requests: {failed[:3]}; "
                f"page errors: {errors[:3]}; window.MathJax is "
                f"{page.evaluate('() => typeof window.MathJax')})"
            ]
        page.evaluate("() => window.MathJax?.startup?.promise")
        if page_name == "index.html" or page_name == "intro.html":
            page.screenshot(path=str(SCREENSHOTS / "book-intro.png"))
        found = problems(page_state(page, CONTENT, ":scope > *"), link_exists(site, page_name))
        if outside:
            found.append(f"requests outside the site: {outside[:5]}")
        if failed or errors:  # a script that fails or runs twice: typesetting then depends on luck
            found.append(f"failed requests: {failed[:3]}; page errors: {errors[:3]}")
        return found
    finally:
        page.close()


def test_every_page_displays_its_figures_and_formulas_and_links_only_to_what_exists(browser, site):
    failures = {name: check_page(browser, site, name) for name in pages(site[1])}
    failures = {name: found for name, found in failures.items() if found}
    assert not failures, "\n".join(
        f"{name}: {'; '.join(found)}" for name, found in failures.items()
    )


def test_the_navigation_reaches_every_notebook_in_reading_order(browser, site):
    base, _ = site
    page = browser.new_page()
    try:
        page.goto(f"{base}/intro.html")
        hrefs = page.eval_on_selector_all(
            "nav.bd-docs-nav a.reference.internal", "links => links.map(a => a.href)"
        )
    finally:
        page.close()
    reached = [urllib.parse.urlparse(h).path.lstrip("/") for h in hrefs]
    expected = [str(Path(n).with_suffix(".html")) for n in course_map()]
    assert [p for p in reached if p in expected] == expected


PLANTED = {  # a notebook, what is planted in it, and what the test must say
    "broken image": (0, "![a figure](figures/missing.png)", "figures that do not display"),
    "bad formula": (1, "A bad formula: $\\frac{1}{$.", "typeset"),
    "dead link": (
        2,
        'See <a href="missing_notes.html">the missing notes</a>.',
        "links to nothing",
    ),
}


def test_the_test_fails_on_planted_faults_and_names_each_notebook(browser, tmp_path):
    """A test of the test: a site built with a fault planted in three notebooks fails it."""
    planted = {}
    notebooks = course_map()
    for index, markdown, says in PLANTED.values():
        notebook = nbformat.read(build.ROOT / notebooks[index], as_version=4)
        notebook.cells.insert(1, nbformat.v4.new_markdown_cell(markdown))
        planted[notebooks[index]] = (notebook, says)
    replace = {notebook: planted[notebook][0] for notebook in planted}
    site_folder = build.build(tmp_path / "source", tmp_path / "output", replace, strict=False)
    server_site = _serve(site_folder)
    try:
        for notebook, (_, says) in planted.items():
            name = str(Path(notebook).with_suffix(".html"))
            found = check_page(browser, server_site[0], name)
            message = f"{name}: {'; '.join(found)}"
            assert any(says in f for f in found), message
    finally:
        server_site[1].shutdown()


def _serve(folder):
    """Serve ``folder`` on a free port: ((base URL, folder), the server to shut down)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return (f"http://127.0.0.1:{server.server_address[1]}", folder), server
