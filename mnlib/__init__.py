"""mnlib: the reusable code of the course *MobileNets, reproduced*.

Chapter 0 is the first to import it. One module per concept, each module's
docstring saying which chapter introduced it (here, the chapter in brackets):

* :mod:`mnlib.data` (0) - the datasets (``archives``, download and hash
  check), their synthetic stand-ins (``standins``), the ``loaders``, the
  input ``pipeline``, and a first look at the images (``explore``);
* :mod:`mnlib.costs` (1) - the Mult-Adds and parameters of convolutions and
  models; :mod:`mnlib.reference` (1) - the paper's and the report's
  published figures; :mod:`mnlib.diagrams` (1, 2) - the paper's Figures 2
  and 3 and MobileNet's stages, drawn;
* :mod:`mnlib.models` (2) - MobileNet v1 written from the paper's Table 1;
* :mod:`mnlib.train` (3) - training and evaluation, one record per
  experiment (``settings``, ``optim``, ``batchnorm``, ``loop``, ``backup``,
  ``experiment``, and the ``phases`` of a transfer run, chapter 5);
* :mod:`mnlib.results` (3) - the records, saved networks and their reuse;
  :mod:`mnlib.tables` (3) - the tables built from records;
  :mod:`mnlib.plots` (3) - the figures the chapters share;
  :mod:`mnlib.study_verdicts` (3) - a study's accuracies and the verdicts
  between its networks;
* :mod:`mnlib.stats` (5, used from 3 on) - intervals, paired tests, spread
  over seeds and the chance verdict;
* :mod:`mnlib.baselines` (5) - VGG16 and InceptionV3 beside MobileNet;
  :mod:`mnlib.comparisons` (5, 6) - the runs, tables and verdicts of those
  comparisons; :mod:`mnlib.confusion` (6) - which classes a classifier
  confuses;
* :mod:`mnlib.gan` (7) - the DCGAN, its training, its judges and the
  augmentation test;
* :mod:`mnlib.deploy` (8) - LiteRT conversion, quantisation, prediction,
  latency; :mod:`mnlib.kinds` (8) - a network's time by layer kind;
  :mod:`mnlib.latency_fit` (8) - latency against Mult-Adds;
  :mod:`mnlib.quantised` (8) - a quantised network against its original;
  :mod:`mnlib.pareto` (8) - accuracy against measured latency;
* :mod:`mnlib.exercises` (0 to 8) - the checked exercises of every chapter;
* the small helpers the others share: :mod:`mnlib.checks` (argument
  checks), :mod:`mnlib.streams` (the random streams by purpose),
  :mod:`mnlib.device` (GPU or not, mixed precision, XLA) and
  :mod:`mnlib.compat` (the private Keras names the course relies on).

Importing :mod:`mnlib` changes one thing, here and nowhere else: it sets the
environment variable ``TF_CPP_MIN_LOG_LEVEL`` to ``"2"`` (TensorFlow's C++
warnings and errors only) unless it is already set. It then imports TensorFlow
quietly: TensorFlow's C++ start-up messages (oneDNN, CUDA probing) are written
to the process' standard error before its logging is configured, so
``TF_CPP_MIN_LOG_LEVEL`` alone does not silence them. Import :mod:`mnlib`
before TensorFlow to keep notebook outputs clean. No random seed is set, by
the import or by any library call (:func:`mnlib.streams.seeded` is the
visible way to set one).
"""

import contextlib
import os
import pathlib
import sys

__version__ = "0.1.0"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def stderr_silenced():
    """Send file descriptor 2 to /dev/null for the duration of the block."""
    fd = 2  # what C++ writes to, whatever sys.stderr is (Jupyter replaces it)
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def course_folder(name: str) -> pathlib.Path:
    """Where the course keeps ``name`` (``"data"``, ``"results"``): at the repository's root.

    The environment variable ``MNLIB_<NAME>_DIR`` (``MNLIB_RESULTS_DIR``,
    ``MNLIB_DATA_DIR``), when set, names the folder instead: the tests run
    the notebooks with an empty results folder of their own that way.

    Run from anywhere inside the course's repository (``notebooks/``, its
    root, a subfolder), this is ``<root>/<name>``, given relative to the
    current folder (``../data`` from ``notebooks/``), so that the same
    notebook finds the same data whether papermill runs it from the root or
    from ``notebooks/``. Outside the repository (on Colab, say) it is
    ``./<name>``.
    """
    chosen = os.environ.get(f"MNLIB_{name.upper()}_DIR")
    if chosen:
        return pathlib.Path(chosen)
    here = pathlib.Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file() and (folder / "mnlib" / "__init__.py").is_file():
            return pathlib.Path(os.path.relpath(folder / name, here))
    return pathlib.Path(name)


if "tensorflow" not in sys.modules:
    with stderr_silenced():
        import tensorflow

        # Probing the devices here keeps CUDA's start-up complaint on machines
        # without a GPU out of the first cell that runs an operation.
        tensorflow.config.list_physical_devices("GPU")
