"""mnlib: the reusable code of the course *MobileNets, reproduced*.

One module per concept, each saying which chapter introduced it:

* :mod:`mnlib.costs` - the cost (Mult-Adds, parameters) of convolutions and models;
* :mod:`mnlib.models` - MobileNet v1 written from the paper's Table 1 (and, in
  :mod:`mnlib.baselines`, VGG16 and InceptionV3 beside it);
* :mod:`mnlib.data` - the datasets, their synthetic stand-ins, the input pipeline;
* :mod:`mnlib.train` - training and evaluation, one record per experiment;
* :mod:`mnlib.results` - the result records; :mod:`mnlib.tables` the tables
  built from them; :mod:`mnlib.stats` the intervals and verdicts;
* :mod:`mnlib.plots` - the figures the chapters share;
* :mod:`mnlib.reference` - the paper's and the report's published figures;
* :mod:`mnlib.checks` (argument checks), :mod:`mnlib.streams` (the random
  streams by purpose), :mod:`mnlib.device` (GPU or not, mixed precision,
  XLA) and :mod:`mnlib.compat` (the private Keras names the course relies on)
  - the small helpers the others share.

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
def _stderr_silenced():
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
    with _stderr_silenced():
        import tensorflow

        # Probing the devices here keeps CUDA's start-up complaint on machines
        # without a GPU out of the first cell that runs an operation.
        tensorflow.config.list_physical_devices("GPU")
