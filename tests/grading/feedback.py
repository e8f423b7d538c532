"""A feedback page for each graded notebook: what the learner reads of the grade.

``write_pages(outcomes, root, folder)`` writes one HTML page per submitted notebook to
``folder``: the learner, the notebook, the score, and for each exercise, in the notebook's order,
its points and the message that names the mistake, then the cells that were cut off or not run;
for a file that could not be graded, why. A page is one self-contained file: no script, nothing
fetched from elsewhere, readable offline and on a phone. The messages are the report's, which
write a hidden case's numbers as ``#``.
"""

import html
import os
import re
import secrets
from pathlib import Path

from tests.grading.grade import GradingError, learner_of

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


def page_name(learner, notebook):
    """The page's file name: the learner's and the notebook's names, in safe characters."""
    return re.sub(r"[^\w.-]+", "_", f"{learner}-{Path(notebook).stem}") + ".html"


def render(outcome, learner):
    """The page of one outcome (a Result, or a GradingError for a file that was not graded)."""
    e = html.escape
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


def write_pages(outcomes, root, folder):
    """Write a page per outcome to ``folder`` (made if missing); return the pages' paths. A page
    replaces what was at its path, a link included, and nothing else is touched."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for outcome in outcomes:
        path = outcome.path if isinstance(outcome, GradingError) else outcome.notebook
        learner = learner_of(path, root)
        target = folder / page_name(learner, path)
        partial = folder / f".{target.name}.{secrets.token_hex(4)}"
        with open(partial, "x", encoding="utf-8") as handle:
            handle.write(render(outcome, learner))
        os.replace(partial, target)
        written.append(target)
    return written
