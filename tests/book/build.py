"""Build the rendered course: a static site of the notebooks as they are stored (`make book`).

    python -m tests.book.build

For reading and reviewing the course without a kernel. jupyter-book 1 (Sphinx with MyST-NB)
builds it offline from the stored outputs: no notebook is executed. The landing page is README's
course map, in reading order, and the contents follow it; the utils modules are pages of their
own, as source. MathJax 3 is served from the site itself (the pip package django-static-mathjax
ships it), so formulas display without the network. It is staged in `_mathjax`, not `_static`:
jupyter-book adds every .js file under a source's `_static` to every page, and a page that ran
all of MathJax's hundred components (two copies of MathJax among them) sometimes never typeset.

The site goes to _build/book/_build/html (index.html); the pages are staged in
_build/book-source, which the build starts by emptying.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import mathjax  # django-static-mathjax
import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "_build" / "book-source"
OUTPUT = ROOT / "_build" / "book"
SITE = OUTPUT / "_build" / "html"
MATHJAX = Path(next(iter(mathjax.__path__))) / "static" / "mathjax" / "es5"  # a namespace package
MODULES = ("init_utils", "reg_utils", "gc_utils", "nn_utils", "opt_utils")

CONFIG = """\
title: Improving Deep Neural Networks, a course companion
author: the course companion's authors
only_build_toc_files: true
execute:
  execute_notebooks: "off"
html:
  use_repository_button: false
  use_issues_button: false
  use_edit_page_button: false
launch_buttons:
  notebook_interface: classic
  binderhub_url: ""
  colab_url: ""
  thebe: false
sphinx:
  local_extensions:
    book_fixes: .
  config:
    html_static_path: [_mathjax]
    mathjax_path: mathjax/tex-chtml.js
    html_show_sourcelink: false
    nb_execution_mode: "off"
"""

# Two mends, as a local Sphinx extension. Sphinx wraps display math that has line breaks in a
# `split` environment, where `\\tag` is not allowed ("\\tag not allowed in split environment"):
# math that brings its own environment is kept as written, inside \\[ \\]. And Sphinx 7.4 adds
# each inline script registered while documents are read a second time (once as filename None,
# once as ""), so sphinx-thebe's `const THEBE_JS_URL` was declared twice on every page: a script
# error in the browser. Each page keeps one copy of each script.
BOOK_FIXES = '''\
"""Two mends to the rendered course (see tests/book/build.py)."""

from docutils import nodes


def keep_as_written(app, doctree):
    for node in doctree.findall(nodes.math_block):
        latex = node.astext()
        if not node.get("nowrap") and "\\\\begin{" in latex:
            node["nowrap"] = True
            node.children = [nodes.Text("\\\\[" + latex + "\\\\]")]


def one_copy_of_each_script(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("doctree-read", keep_as_written)
    app.connect("html-page-context", one_copy_of_each_script)
    return {"parallel_read_safe": True}
'''


def course_map():
    """README's section "The notebooks, in order": (its text, [notebook paths in order])."""
    section = (ROOT / "README.md").read_text().split("## The notebooks, in order", 1)[1]
    section = section.split("\n## ", 1)[0]
    return section.strip(), re.findall(r"^\| \d+ \| \[`([^`]+\.ipynb)`\]", section, flags=re.M)


def stage(source, replace=None):
    """Write the book's sources into ``source``: pages, table of contents, config, MathJax.

    ``replace`` maps a notebook's path to a notebook to stage in its place (the browser tests
    plant faults that way).
    """
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    text, notebooks = course_map()
    for notebook in notebooks:
        target = source / notebook
        target.parent.mkdir(parents=True, exist_ok=True)
        if replace and notebook in replace:
            nbformat.write(replace[notebook], target)
        else:
            shutil.copy(ROOT / notebook, target)
    (source / "intro.md").write_text(
        "# Improving Deep Neural Networks: the course companion\n\n"
        "The notebooks of the companion as they are stored, outputs included, for reading and "
        "reviewing without a kernel. To run them, clone the repository and follow its README.\n\n"
        f"## The notebooks, in order\n\n{text}\n"
    )
    pages = []
    for module in MODULES:
        (path,) = ROOT.glob(f"*/{module}.py")
        shutil.copy(path, source / f"{module}.py")
        (source / f"{module}.md").write_text(
            f"# {path.relative_to(ROOT)}\n\n```{{literalinclude}} {module}.py\n"
            ":language: python\n```\n"
        )
        pages.append(f"  - file: {module}")
    chapters = "\n".join(f"  - file: {Path(n).with_suffix('')}" for n in notebooks)
    (source / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n"
        f"- caption: The notebooks, in order\n  chapters:\n{chapters}\n"
        "- caption: The utils modules, as source\n  chapters:\n" + "\n".join(pages) + "\n"
    )
    (source / "_config.yml").write_text(CONFIG)
    (source / "book_fixes.py").write_text(BOOK_FIXES)
    shutil.copytree(MATHJAX, source / "_mathjax" / "mathjax")


def build(source=SOURCE, output=OUTPUT, replace=None, strict=True):
    """Stage the sources and build the site; return its folder. ``strict``: a warning (an
    unresolved link, a missing image) fails the build."""
    stage(source, replace)
    shutil.rmtree(output, ignore_errors=True)
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(source)]
    command += ["--path-output", str(output), "--builder", "html"]
    if strict:
        command += ["--warningiserror", "--keep-going"]
    subprocess.run(command, check=True, capture_output=not strict)
    return output / "_build" / "html"


if __name__ == "__main__":
    print(f"the course as a site: {build() / 'index.html'}")
