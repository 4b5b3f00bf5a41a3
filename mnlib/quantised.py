"""A quantised network against its float32 original: on a saved network that learnt, image by image.

Quantisation's accuracy cost only means something for a network above
chance: :func:`saved_network` takes the best saved model
(:func:`mnlib.results.best_model`) and says whether its accuracy is above
chance (:func:`mnlib.stats.chance`); :func:`splits_of` gives back the data
it was trained and evaluated on. :func:`agreement` compares the two
networks' predictions on the same images: the share that changed, the ties
of the int8 output (whose coarse steps can give two classes the same top
score), and the paired verdict (:func:`mnlib.stats.paired`). Introduced in
chapter 8.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import numpy as np

from mnlib import data, results, stats

__all__ = ["Agreement", "agreement", "images_of", "saved_network", "splits_of"]


def saved_network(results_dir):
    """The best saved network of the results folder and whether it learnt: ``(record, chance)`` or ``(None, None)``.

    Args:
        results_dir: the folder of result records and saved models.

    Returns:
        The record :func:`mnlib.results.best_model` chooses, and its
        :class:`mnlib.stats.Chance` on the images it was evaluated on
        (``None`` when the record does not say how many; then it is not
        known to be above chance). ``(None, None)`` when no model is saved.
    """
    record = results.best_model(results_dir)
    if record is None:
        return None, None
    correct = results.correct(record)
    if correct is None:
        return record, None
    return record, stats.chance(float(record["top1"]), int(record["classes"]), len(correct))


def splits_of(record, data_dir):
    """The training and evaluation splits a record's network was trained on, or None if they cannot be had.

    Args:
        record: a result record (mapping) with ``dataset``, ``classes``,
            ``notebook`` and, if it has them, ``class_names``.
        data_dir: the folder of the datasets (the stand-ins are written there).

    Returns:
        ``(train, evaluation)`` as :func:`mnlib.data.splits` gives them, or
        None when the classes found differ from the record's (its accuracy
        could not be measured on them).
    """
    layout = "stanford-dogs" if "stanford" in f"{record['dataset']}{record.get('notebook')}" else "tiny-imagenet"
    train, evaluation, names = data.splits(
        record["dataset"], pathlib.Path(data_dir), int(record["classes"]), layout=layout
    )
    recorded = record.get("class_names")
    if isinstance(recorded, list) and list(getattr(names, "readable", names)) != recorded:
        return None
    return train, evaluation


def images_of(split, *, resolution: int, family: str = "mobilenet", count=None, shuffle=False, seed=0):
    """Images ``[N, resolution, resolution, 3]`` float32 and labels ``[N]`` of a split, as a network takes them.

    The split goes through the network's own input pipeline
    (:func:`mnlib.data.pipeline`: resized, scaled as in training, not
    augmented); ``count`` keeps the first images (after shuffling, if
    ``shuffle``, with ``seed``), None all of them.
    """
    batches = data.pipeline(split, resolution=resolution, family=family, batch_size=64, shuffle=shuffle, seed=seed)
    images, labels = zip(*[(x.numpy(), y.numpy()) for x, y in batches])
    images, labels = np.concatenate(images), np.concatenate(labels)
    return (images, labels) if count is None else (images[:count], labels[:count])


@dataclass(frozen=True)
class Agreement:
    """A float32 network and its quantised copy on the same images (:func:`agreement`)."""

    images: int
    changed: float  #: share of images whose predicted class changed
    ties: int  #: images where the quantised output's top score is shared by two classes or more
    reference_correct: np.ndarray  #: per image, the reference's top class is the label
    quantised_correct: np.ndarray  #: per image, the quantised top class is the label and is not tied
    paired: stats.Paired  #: the paired verdict, quantised against reference

    def __str__(self) -> str:
        return (
            f"{100 * self.changed:.1f} % of {self.images} predictions changed; {self.ties} tied in the "
            f"quantised output (counted as wrong); {self.paired.verdict}"
        )


def agreement(reference, quantised, labels, names=("int8", "float32")) -> Agreement:
    """Compare a quantised network's outputs with its reference's, image by image.

    A quantised output takes few values (an int8 softmax, steps of 1/256),
    so two classes can share the top score; ``argmax`` would then pick the
    first of them, a choice the network did not make. Such an image counts
    as changed and as wrong for the quantised network.

    Args:
        reference: ``[N, classes]`` outputs of the reference (float32) network.
        quantised: ``[N, classes]`` outputs of the quantised one, dequantised.
        labels: ``[N]`` true classes.
        names: what to call the quantised and the reference network in the verdict.

    Returns:
        An :class:`Agreement`.

    Raises:
        ValueError: shapes that do not match, or no image.
    """
    reference, quantised = np.asarray(reference), np.asarray(quantised)
    labels = np.asarray(labels)
    if reference.ndim != 2 or reference.shape != quantised.shape or labels.shape != reference.shape[:1]:
        raise ValueError(
            "reference and quantised must be [N, classes] of one shape and labels [N]; got "
            f"{reference.shape}, {quantised.shape} and {labels.shape}."
        )
    if len(labels) == 0:
        raise ValueError("agreement needs at least one image.")
    top = quantised.max(axis=1, keepdims=True)
    tied = (quantised == top).sum(axis=1) > 1
    quantised_class = np.where(tied, -1, quantised.argmax(axis=1))
    reference_class = reference.argmax(axis=1)
    reference_correct = reference_class == labels
    quantised_correct = quantised_class == labels
    verdict = stats.paired(quantised_correct, reference_correct, names=tuple(names))
    return Agreement(
        images=len(labels),
        changed=float(np.mean(quantised_class != reference_class)),
        ties=int(tied.sum()),
        reference_correct=reference_correct,
        quantised_correct=quantised_correct,
        paired=verdict,
    )
