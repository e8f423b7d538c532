# `make lab` and `make test` both create .venv on first use and install the pinned versions of
# constraints.txt, so that the notebooks' stored outputs reproduce. Python 3.11, 3.12 or 3.13: the
# first of python3.11, python3.12, python3.13 and python3 that runs and is one of them (the stored
# outputs were made with 3.11), or PYTHON=/path/to/python.
PYTHON ?= $(or $(shell for p in python3.11 python3.12 python3.13 python3; do \
	"$$p" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info < (3, 14))' 2>/dev/null \
	&& command -v "$$p" && break; done),$(error no Python 3.11, 3.12 or 3.13 found: \
	install one, or pass PYTHON=/path/to/python3.x))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.browser-installed
NBGRADER_VENV := .venv-nbgrader
NBGRADER_STAMP := $(NBGRADER_VENV)/.installed

.PHONY: lab test notebooks benchmark release grade book browser-test nbgrader-test clean

lab: $(STAMP)
	$(BIN)/jupyter lab

test: $(STAMP)
	$(BIN)/python -m pytest

# Maintainers: re-execute every notebook top to bottom and store its outputs (the nbval baseline),
# the runs the notebooks cite as trained on another CPU (the cross-CPU baseline), and the expected
# values of the public checks (expected_values.json, from tests/reference).
notebooks: $(STAMP)
	$(BIN)/python -m tests.reference store
	$(BIN)/python -m tests.execute_notebooks
	$(BIN)/python -m tests.cross_cpu store

# Instructors: learner copies in release/, and grading (make grade SUBMISSIONS=path/to/folder):
# gradebook.csv here, and a feedback page per notebook in FEEDBACK (default feedback/).
release: $(STAMP)
	$(BIN)/python -m tests.grading release --out release

SUBMISSIONS ?= submissions
FEEDBACK ?= feedback
grade: $(STAMP)
	$(BIN)/python -m tests.grading grade $(SUBMISSIONS) --feedback $(FEEDBACK)

# Timings on this machine: one training iteration against plain NumPy, batch norm's backward passes,
# a search's trials on one worker and on all, TensorFlow eager against tf.function, and every
# notebook top to bottom in a fresh kernel; the results go to tests/benchmarks/RESULTS.md.
benchmark: $(STAMP)
	{ echo "# Benchmark results (make benchmark)"; echo; \
	  echo "## One training iteration, utils against a plain NumPy loop"; echo; echo '```text'; \
	  $(BIN)/python tests/benchmarks/bench_iteration.py; echo '```'; echo; \
	  echo "## Batch norm's backward pass: the computation graph against equation (5)"; echo; \
	  echo '```text'; $(BIN)/python -m tests.benchmarks.bench_batchnorm; echo '```'; echo; \
	  echo "## A hyperparameter search: pandas's compute or caviar's"; echo; \
	  echo '```text'; $(BIN)/python -m tests.benchmarks.bench_search; echo '```'; echo; \
	  echo "## TensorFlow's training step: eager or tf.function"; echo; \
	  echo '```text'; $(BIN)/python -m tests.benchmarks.bench_tensorflow; echo '```'; echo; \
	  echo "## Notebooks, top to bottom in a fresh kernel"; echo; \
	  $(BIN)/python tests/benchmarks/bench_notebooks.py; } | tee tests/benchmarks/RESULTS.md

# The rendered course: a static site of the notebooks as stored, for reading without a kernel.
book: $(BROWSER_STAMP)
	$(BIN)/python -m tests.book.build

# The learner's path in a real browser (Chromium, driven by Playwright): JupyterLab as `make lab`
# opens it, then the rendered course. Needs Chromium: see README, "Tested in a browser".
browser-test: book
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider tests/browser/lab_in_browser.py tests/browser/book_in_browser.py tests/browser/feedback_in_browser.py
	@echo "screenshots of each notebook's first screen: tests/browser/screenshots/"

# nbgrader 0.9.6 grades every graded notebook as an nbgrader course would (generate_assignment,
# then autograde of the reference, the blank copies and a copy with one exercise left undone),
# from an environment of its own, .venv-nbgrader; the notebooks run in .venv's kernel.
nbgrader-test: $(STAMP) $(NBGRADER_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope -p no:cacheprovider --durations=8 tests/nbgrader/autograde_in_nbgrader.py

$(NBGRADER_STAMP): requirements-nbgrader.txt constraints.txt
	$(PYTHON) -m venv $(NBGRADER_VENV)
	$(NBGRADER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-nbgrader.txt -c constraints.txt
	touch $(NBGRADER_STAMP)

$(BROWSER_STAMP): $(STAMP) requirements-browser.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt -c constraints.txt
	touch $(BROWSER_STAMP)

$(STAMP): requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) $(NBGRADER_VENV) .pytest_cache .hypothesis _build tests/browser/screenshots
