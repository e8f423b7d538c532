"""A feedback page for each graded notebook: what the learner reads of the grade.

``write_pages(outcomes, root, folder)`` writes one HTML page per submitted notebook to
``folder``: the learner, the notebook, the score, and for each exercise, in the notebook's order,
its points and the message that names the mistake, then the cells that were cut off or not run;
for a file that could not be graded, why. A page is one self-contained file: no script, nothing
fetched from elsewhere, readable offline and on a phone. The messages are the report's, which
write a hidden case's numbers as ``#``; control characters and bytes of a name that are not
UTF-8 show as escapes (``grade.visible``). Each (learner, notebook) gets a page of its own, whose
name is short and safe whatever the learner named their folder and file (``page_name``).
"""

import hashlib
import html
import itertools
import os
import re
from collections import Counter
from pathlib import Path

from tests.grading.grade import GradingError, OutputError, learner_of, visible, write_file

MAX_STEM = 100  # characters (ASCII) of a page's name before its hash and ".html"

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 46rem; padding: 1rem;
       color: #1b1b1b; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
p.meta { color: #555; margin: 0 0 1rem; overflow-wrap: anywhere; }
p.score { font-size: 1.25rem; font-weight: 600; }
ol { padding: 0; list-style: none; }
li { border: 1px solid #ddd; border-radius: 6px; padding: .6rem .8rem; margin: 0 0 .6rem; }
li.passed { border-left: 6px solid #2e7d32; }
li.failed { border-left: 6px solid #c62828; }
.name { font-family: ui-monospace, monospace; font-weight: 600; overflow-wrap: anywhere; }
.points { float: right; font-weight: 600; margin-left: .5rem; }
.message { margin: .3rem 0 0; overflow-wrap: anywhere; white-space: pre-wrap; }
"""


def page_name(learner, notebook, unique=False):
    """The page's file name: the learner's and the notebook's names (``<learner>-<stem>.html``)
    if they are short and made of ASCII letters, digits, ``_``, ``.`` and ``-`` only; otherwise,
    or if ``unique``, those characters with every other run written as ``_``, at most MAX_STEM of
    them, then ``-`` and a hash of the exact names (of ``notebook`` whole if ``unique``), so
    that two learners whose names differ only in the other characters get two pages."""
    wanted = f"{learner}-{Path(notebook).stem}"
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", wanted)
    safe = "_" + safe if safe.startswith(".") else safe  # no hidden page, nor one like a partial
    if safe == wanted and len(safe) <= MAX_STEM and not unique:
        return f"{safe}.html"
    exact = os.fsencode(f"{learner}\0{notebook if unique else Path(notebook).name}")
    return f"{safe[:MAX_STEM]}-{hashlib.sha256(exact).hexdigest()[:10]}.html"


def render(outcome, learner):
    """The page of one outcome (a Result, or a GradingError for a file that was not graded)."""

    def e(text):
        return html.escape(visible(text, keep="\n"))

    if isinstance(outcome, GradingError):
        notebook, body = (
            outcome.path,
            [
                '<p class="score">Not graded</p>',
                f'<p class="message">{e(outcome.reason)}</p>',
            ],
        )
    else:
        notebook = outcome.notebook
        items = [
            f'<li class="{"passed" if x.passed else "failed"}">'
            f'<span class="points">{x.points}/{x.max_points}</span>'
            f'<span class="name">{e(x.name)}</span>'
            f'<p class="message">{e(x.message)}</p></li>'
            for x in outcome.exercises
        ]
        body = [
            f'<p class="score">Score: {outcome.score}/{outcome.max_score}</p>',
            f"<ol>{''.join(items)}</ol>",
        ]
        if outcome.cut_off:
            notes = "".join(f"<li>{e(note)}</li>" for note in outcome.cut_off)
            body += ["<h2>Cells that were cut off or not run</h2>", f"<ul>{notes}</ul>"]
    title = f"{learner}: {Path(notebook).name}"
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">",
            f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{e(Path(notebook).name)}</h1>",
            f'<p class="meta">Learner: {e(learner)}'
            + ("" if isinstance(outcome, GradingError) else f" · {e(outcome.assignment)}")
            + "</p>",
            *body,
            "</body></html>",
        ]
    )


def write_pages(outcomes, roots, folder):
    """Write a page per outcome to ``folder`` (made if missing), its learner named by
    ``learner_of(path, roots)``; return the paths of the pages written and an OutputError for
    each that could not be. A page replaces a file or a link at its path (the link itself), and
    nothing else is touched; a page that cannot be written does not stop the others."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return [], [OutputError(folder, f"cannot be made ({error.strerror or error})")]
    pages = []
    for outcome in outcomes:
        path = outcome.path if isinstance(outcome, GradingError) else outcome.notebook
        learner = learner_of(path, roots)
        pages.append((outcome, learner, path, page_name(learner, path).lower()))
    # Names that read alike (bob's smith-GC and bob-smith's GC, or alike but for case, as some
    # file systems read them): none keeps the plain name, which one learner could take from
    # another by naming a notebook; the path decides each.
    alike = Counter(plain for *_, plain in pages)
    written, failed, taken = [], [], set()
    for outcome, learner, path, plain in pages:
        unique = alike[plain] > 1 or plain in taken
        name = page_name(learner, path, unique=unique)
        for count in itertools.count(2):  # two lines of one path: a learner's folder's
            if name.lower() not in taken:
                break
            name = f"{page_name(learner, path, unique=True)[:-5]}-{count}.html"
        taken.add(name.lower())
        target = folder / name
        try:
            write_file(target, render(outcome, learner))
        except OutputError as error:
            failed.append(error)
        else:
            written.append(target)
    return written, failed
