# `make lab` and `make test` both create .venv on first use (Python 3.11) and install the pinned
# versions of constraints.txt, so that the notebooks' stored outputs reproduce.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.browser-installed

.PHONY: lab test notebooks benchmark release grade book browser-test clean

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
# gradebook.csv in that folder, and a feedback page per notebook in FEEDBACK (default feedback/).
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

$(BROWSER_STAMP): $(STAMP) requirements-browser.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-browser.txt -c constraints.txt
	touch $(BROWSER_STAMP)

$(STAMP): requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis _build tests/browser/screenshots
