# The course's two commands (see README.md):
#   make book   set up, execute every notebook headless, build the book
#   make test   set up, run every test; then mnlib's unit tests again on
#               Colab's versions of TensorFlow, Keras, NumPy... (test-colab)
# For a class:
#   make student-book   the book without solutions, from the committed notebooks (_build/student/html)
#   make lab            open the course in JupyterLab (.ipynb and .py twins kept in sync by jupytext)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A second environment with the versions Colab ships (constraints/colab.txt).
COLAB_VENV := .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
# mnlib's unit tests: every tests/test_*.py but those of the notebooks and the
# book (which need Jupyter tools and execute the notebooks) and the linter's
# (ruff's verdict does not depend on the versions of TensorFlow or Keras, and
# Colab does not ship ruff), JupyterLab's (Colab is not JupyterLab) and the
# exercises' (they read the notebooks; mnlib's own tests cover the rest).
UNIT_TESTS := tests --ignore=tests/test_notebooks.py --ignore=tests/test_book.py --ignore=tests/test_lint.py \
	--ignore=tests/test_lab.py --ignore=tests/test_exercises.py \
	-k "not test_the_chapter_"
# (the last: tests that run chapter 6 headless with papermill, which Colab's
# environment here does not install; `make test` runs them)

.PHONY: book test test-colab setup setup-colab notebooks student-book lab grade clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

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
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_BIN)/python -m pip install --quiet --upgrade pip
	$(COLAB_BIN)/python -m pip install --quiet -c constraints/colab.txt -e . pytest
	touch $@

test-colab: setup-colab
	$(COLAB_BIN)/python -m pytest $(UNIT_TESTS)

# The student edition: the committed notebooks with every solution removed,
# built without executing them (a couple of minutes).
student-book: setup
	$(BIN)/python tools/student_book.py

# JupyterLab on the course folder; jupytext pairs each NN_name.ipynb with its
# NN_name.py (jupytext.toml), so saving either keeps the other in sync.
lab: setup
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR) $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# Re-execute the committed notebooks in place (for authors, before committing).
notebooks: setup
	$(BIN)/python tools/run_notebooks.py --in-place

clean:
	rm -rf _build

# Grade a class: every notebook in SUBMISSIONS re-executed headless (smoke
# profile, a folder and a time limit of its own) and its answers judged by
# the course's checker; grades.csv and grades_feedback/ (see the book's page
# "For instructors").
grade: setup
	$(BIN)/python tools/grade.py $(SUBMISSIONS) --out grades.csv
