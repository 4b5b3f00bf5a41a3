"""Which classes a classifier confuses: predictions, the confusion matrix, its top pairs, and pictures of them.

A table of accuracy says how often a classifier is wrong; a confusion view
says *which* classes it mistakes for which, where people would rather look
at photos than read numbers. :func:`predict` runs a trained model over a
loader's dataset in file order; :func:`matrix` counts true against
predicted classes; :func:`top_pairs` lists the most frequent mistakes;
:func:`pairs_figure` shows, for each such pair, photos of the true class
that were taken for the other beside photos of the other class.

Introduced in the Stanford Dogs chapter (chapter 6).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from mnlib import checks

__all__ = ["predict", "matrix", "top_pairs", "pairs_figure"]


def predict(model, dataset, *, resolution: int, family: str = "mobilenet", batch_size: int = 64) -> np.ndarray:
    """The class each image of ``dataset`` is predicted to be, in the dataset's file order.

    Args:
        model: a trained Keras classifier (softmax over the classes), e.g. one
            restored with ``keras.models.load_model`` from a record's ``model_file``.
        dataset: a loader's dataset (:func:`mnlib.data.stanford_dogs` ...).
        resolution: the side in pixels the model was trained at (the record's
            ``input_resolution``).
        family: the model's preprocessing (:data:`mnlib.data.FAMILIES`).
        batch_size: images per inference batch (default 64).

    Returns:
        int array ``[N]``: the most probable class of each image (ties: the lower index).
    """
    from mnlib import data

    batches = data.pipeline(dataset, resolution=resolution, family=family, batch_size=batch_size, shuffle=False)
    return np.concatenate([np.argmax(model(x, training=False), axis=-1) for x, _ in batches]).astype(int)


def _check_labels(labels, predicted, classes):
    classes = checks.integer("classes", classes, minimum=2)
    labels, predicted = np.asarray(labels, int), np.asarray(predicted, int)
    if labels.shape != predicted.shape or labels.ndim != 1:
        raise ValueError(f"labels and predicted must be 1-D and of one length; got {labels.shape}, {predicted.shape}.")
    if labels.size and (min(labels.min(), predicted.min()) < 0 or max(labels.max(), predicted.max()) >= classes):
        raise ValueError(f"labels and predictions must lie in 0 .. {classes - 1}.")
    return labels, predicted


def matrix(labels, predicted, classes: int) -> np.ndarray:
    """The confusion matrix: int ``[classes, classes]``, row = true class, column = predicted class.

    Args:
        labels: true classes, int ``[N]`` (e.g. ``dataset.files.labels``).
        predicted: predicted classes, int ``[N]`` (:func:`predict`).
        classes: number of classes (>= 2).
    """
    labels, predicted = _check_labels(labels, predicted, classes)
    counts = np.zeros((classes, classes), dtype=int)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def top_pairs(counts: np.ndarray, class_names, n: int = 5) -> pd.DataFrame:
    """The ``n`` most frequent mistakes of a confusion matrix, most frequent first.

    Args:
        counts: a :func:`matrix`.
        class_names: the classes' names (a loader's ``ClassNames``: its
            ``readable`` names are used; or any list of strings).
        n: how many pairs at most (>= 1); pairs never confused are left out.

    Returns:
        a DataFrame with ``true`` and ``predicted`` (names), ``true_label`` and
        ``predicted_label`` (indices), ``images`` (how many images of the true
        class were taken for the other) and ``share`` (that count over the
        true class's images).
    """
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"counts must be a square confusion matrix; got shape {counts.shape}.")
    names = list(getattr(class_names, "readable", class_names))
    if len(names) != len(counts):
        raise ValueError(f"class_names has {len(names)} names for a {len(counts)}-class matrix.")
    n = checks.integer("n", n, minimum=1)
    off = counts.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:n]
    rows = []
    for flat in order:
        true, guess = divmod(int(flat), len(counts))
        if off[true, guess] == 0:
            break
        count = int(off[true, guess])
        share = count / max(1, counts[true].sum())
        rows.append(dict(true=names[true], predicted=names[guess], true_label=true, predicted_label=guess,
                         images=count, share=share))  # fmt: skip
    return pd.DataFrame(rows, columns=["true", "predicted", "true_label", "predicted_label", "images", "share"])


def pairs_figure(dataset, labels, predicted, pairs: pd.DataFrame, *, per_pair: int = 3, title: str = ""):
    """For each confused pair, photos of the true class taken for the other, beside photos of the other class.

    One row per pair of :func:`top_pairs`: up to ``per_pair`` thumbnails of
    the true class that were predicted as the other (left), then up to
    ``per_pair`` correctly predicted thumbnails of the other class (right,
    for comparison).

    Args:
        dataset: the loader's dataset the predictions were made on.
        labels, predicted: int ``[N]`` in the dataset's file order.
        pairs: rows of :func:`top_pairs` (an empty frame draws a note instead).
        per_pair: thumbnails on each side, 1 to 5.
        title: the figure's title.
    """
    import matplotlib.pyplot as plt
    import tensorflow as tf

    from mnlib.data import decode, source_files

    files = source_files(dataset)
    if files is None:
        raise ValueError("pairs_figure needs a loader's dataset (it reads the photos' files).")
    per_pair = checks.integer("per_pair", per_pair, minimum=1, maximum=5)
    classes = max(2, int(np.max(labels, initial=0)) + 1, int(np.max(predicted, initial=0)) + 1)
    labels, predicted = _check_labels(labels, predicted, classes)
    paths = files[0]
    if len(pairs) == 0:
        fig, ax = plt.subplots(figsize=(6, 0.8))
        ax.axis("off")
        ax.text(0.5, 0.5, "No image was misclassified.", ha="center", va="center")
        return fig
    fig = plt.figure(figsize=(max(4.5, 1.05 * 2 * per_pair + 0.2), 1.55 * len(pairs) + 0.4), layout="constrained")
    rows = fig.subfigures(len(pairs), 1, squeeze=False)[:, 0]
    for row, (_, pair) in zip(rows, pairs.iterrows()):
        true, guess = int(pair["true_label"]), int(pair["predicted_label"])
        mistaken = paths[(labels == true) & (predicted == guess)][:per_pair]
        other = paths[(labels == guess) & (predicted == guess)][:per_pair]
        axes = row.subplots(1, 2 * per_pair)
        for ax in axes:
            ax.axis("off")
        for ax, path in zip(axes[:per_pair], mistaken):
            ax.imshow(decode(tf.io.read_file(path)).numpy())
        for ax, path in zip(axes[per_pair:], other):
            ax.imshow(decode(tf.io.read_file(path)).numpy())
        text = (
            f"{pair['true']} taken for {pair['predicted']} ({pair['images']}; left), real {pair['predicted']} (right)"
        )
        row.suptitle(textwrap.fill(text, int(fig.get_figwidth() * 12)), fontsize=9)
    if title:
        fig.suptitle(textwrap.fill(title, int(fig.get_figwidth() * 11)), fontsize=10)
    return fig
