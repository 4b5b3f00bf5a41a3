# The course's two commands (see README.md):
#   make book   set up, execute every notebook headless, build the book
#   make test   set up, run every test; then mnlib's unit tests again on
#               Colab's versions of TensorFlow, Keras, NumPy... (test-colab)
# For authors:
#   make lock           refresh constraints/local.txt, the exact versions `make setup` installs
#   make notebooks      re-execute the committed notebooks in place (replaced only when they run)
# For a class:
#   make student-book   the book without solutions, from the committed notebooks (_build/student/html)
#   make lab            open the course in JupyterLab (.ipynb and .py twins kept in sync by jupytext)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A second environment with the versions Colab ships (constraints/colab.txt),
# on Colab's Python (3.13) where this machine has one: `python3.13`, or pyenv's
# newest 3.13 (pyenv's shim answers only with PYENV_VERSION set). Empty if none.
COLAB_VENV := .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
COLAB_PYTHON = $(shell \
	if python3.13 --version >/dev/null 2>&1; then echo python3.13; \
	elif command -v pyenv >/dev/null 2>&1; then \
		v=$$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13(\.[0-9]+)?$$' | sort -V | tail -n 1); \
		if [ -n "$$v" ] && PYENV_VERSION=$$v python3.13 --version >/dev/null 2>&1; then echo "PYENV_VERSION=$$v python3.13"; fi; \
	fi)
# mnlib's unit tests: every tests/test_*.py but those of the notebooks and the
# book (which need Jupyter tools and execute the notebooks) and the linter's
# (ruff's verdict does not depend on the versions of TensorFlow or Keras, and
# Colab does not ship ruff), JupyterLab's (Colab is not JupyterLab) and the
# exercises' (they read the notebooks; mnlib's own tests cover the rest).
UNIT_TESTS := tests --ignore=tests/test_notebooks.py --ignore=tests/test_book.py --ignore=tests/test_lint.py \
	--ignore=tests/test_lab.py --ignore=tests/test_exercises.py --ignore=tests/test_stack.py \
	--ignore=tests/test_grade.py -k "not test_the_chapter_"
# (the grader is the instructor's tool, run locally with papermill and nbformat,
# which Colab's environment here does not install; and the last: tests that run
# chapter 6 headless with papermill; `make test` runs both)

.PHONY: book test test-colab setup setup-colab lock notebooks student-book lab grade clean

setup: $(VENV)/.installed

# The versions of constraints/local.txt exactly (pip's -c): the stack the committed
# outputs were made with.
$(VENV)/.installed: requirements.txt pyproject.toml constraints/local.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints/local.txt
	touch $@

# constraints/local.txt afresh: requirements.txt installed in a new environment of
# $(PYTHON) (the newest versions its ranges allow), then `pip freeze` (mnlib left out);
# also the book's stack line in _config.yml. Then `make setup` installs them here.
lock:
	$(PYTHON) tools/lock.py

book: setup
	$(BIN)/python tools/run_notebooks.py --book

# nbval re-executes every notebook with an empty results folder of its own, so
# every chapter really trains (and results/ of the working copy is untouched).
test: setup
	rm -rf _build/test-results
	MNLIB_RESULTS_DIR=$(CURDIR)/_build/test-results $(BIN)/python -m pytest tests --nbval-lax --nbval-current-env notebooks
	$(MAKE) test-colab

# mnlib as a Colab notebook installs it: on Colab's versions of its dependencies.
setup-colab: $(COLAB_VENV)/.installed

$(COLAB_VENV)/.installed: constraints/colab.txt pyproject.toml
	rm -rf $(COLAB_VENV)
	@python="$(COLAB_PYTHON)"; \
	if [ -n "$$python" ]; then \
		echo "Colab's environment on Python $$(env $$python -c 'import platform; print(platform.python_version())') (Colab: 3.13)"; \
	else \
		python="$(PYTHON)"; \
		echo "No python3.13 here (Colab runs Python 3.13): Colab's versions on $$($$python --version) instead"; \
	fi; \
	env $$python -m venv $(COLAB_VENV)
	$(COLAB_BIN)/python -m pip install --quiet --upgrade pip
	$(COLAB_BIN)/python -m pip install --quiet -c constraints/colab.txt -e . pytest
	touch $@

test-colab: setup-colab
	@echo "mnlib's unit tests on Colab's versions, $$($(COLAB_BIN)/python --version)"
	$(COLAB_BIN)/python -m pytest $(UNIT_TESTS)

# The student edition: the committed notebooks with every solution removed,
# built without executing them (a couple of minutes).
student-book: setup
	$(BIN)/python tools/student_book.py

# JupyterLab on the course folder; jupytext pairs each NN_name.ipynb with its
# NN_name.py (jupytext.toml), so saving either keeps the other in sync.
lab: setup
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR) $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# Re-execute the committed notebooks in place (for authors, before committing): each is
# replaced only if it ran to the end, on the locked versions. RESULTS=DIR gives every
# chapter one results folder (a new one: everything trains afresh, in the book's order).
notebooks: setup
	$(BIN)/python tools/run_notebooks.py --in-place $(if $(RESULTS),--results-dir $(RESULTS))

clean:
	rm -rf _build

# Grade a class: every notebook in SUBMISSIONS re-executed headless (smoke
# profile, a folder and a time limit of its own) and its answers judged by
# the course's checker; grades.csv and grades_feedback/ (see the book's page
# "For instructors").
grade: setup
	$(BIN)/python tools/grade.py $(SUBMISSIONS) --out grades.csv
