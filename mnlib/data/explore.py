"""Looking at a dataset: example images, and how much class signal it carries.

Introduced in chapter 0.
"""

from __future__ import annotations

import textwrap

import tensorflow as tf

from mnlib import checks, streams
from mnlib.data.loaders import ClassNames, FileDataset, decode, dog_boxes, source_files
from mnlib.data.pipeline import pipeline

__all__ = ["example_grid", "box_grid", "probe_accuracy"]


def example_grid(
    dataset: FileDataset, class_names: ClassNames, *, per_class: int = 4, max_classes: int = 10, title: str = ""
):
    """A figure of the first ``per_class`` images of each class (rows), at their stored size.

    Works on a loader's dataset (it reads only the files it shows). Rows are
    labelled with the readable class names.
    """
    import matplotlib.pyplot as plt

    files = source_files(dataset)
    if files is None:
        raise ValueError("example_grid needs a dataset straight from tiny_imagenet() or stanford_dogs().")
    paths, labels = files
    shown = list(range(min(len(class_names), max_classes)))
    fig, axes = plt.subplots(len(shown), per_class, figsize=(1.6 * per_class, 1.5 * len(shown)), squeeze=False)
    for row, label in enumerate(shown):
        picks = paths[labels == label][:per_class]
        for col in range(per_class):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col < len(picks):
                ax.imshow(decode(tf.io.read_file(picks[col])).numpy())
            if col == 0:
                ax.set_ylabel(class_names.readable[label][:22], rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def box_grid(dataset: FileDataset, class_names: ClassNames, *, images: int = 6, title: str = ""):
    """A row of Stanford Dogs photos, one per class in turn, with their annotated boxes drawn over them.

    Each thumbnail shows the stored photo (its size in pixels under it) and
    each dog's box from ``Annotation/`` (:func:`~mnlib.data.dog_boxes`) as a
    red rectangle. Introduced in the Stanford Dogs chapter.

    Args:
        dataset: a :func:`~mnlib.data.stanford_dogs` dataset (real or stand-in).
        class_names: its :class:`ClassNames`.
        images: how many photos (1 to 12), the first of each class in turn.
        title: the figure's title.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    files = source_files(dataset)
    if files is None:
        raise ValueError("box_grid needs a dataset straight from stanford_dogs().")
    images = checks.integer("images", images, 1, 12, hint="From 1 to 12 photos.")
    paths, labels = files
    picks = []
    for k in range(images * len(class_names)):  # class 0, 1, ..., then each class's second photo...
        label, nth = k % len(class_names), k // len(class_names)
        among = paths[labels == label]
        if nth < len(among):
            picks.append((among[nth], label))
        if len(picks) == images:
            break
    columns = min(6, len(picks))
    rows = -(-len(picks) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.55 * columns, 1.75 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (path, label), boxes in zip(axes.ravel(), picks, dog_boxes([p for p, _ in picks])):
        image = decode(tf.io.read_file(path)).numpy()
        ax.imshow(image)
        for x0, y0, x1, y1 in boxes:
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="red", lw=1.5))
        name = textwrap.shorten(class_names.readable[label], 36, placeholder="...")
        ax.set_title(f"{textwrap.fill(name, 18)}\n{image.shape[1]}x{image.shape[0]} px", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def probe_accuracy(
    train: FileDataset,
    evaluation: FileDataset,
    *,
    resolution: int,
    epochs: int = 6,
    seed: int = 0,
    batch_size: int = 32,
) -> float:
    """Accuracy on ``evaluation`` of a small CNN trained briefly on ``train`` at ``resolution``.

    A quick probe of how much class signal a dataset carries at a resolution,
    not a result to compare with the paper: three 3 x 3 convolutions (24, 24, 48
    filters; the first of stride 2) with batch normalisation and ReLU, global
    average pooling and a linear classifier, trained with Adam (learning rate
    0.002) on augmented :func:`pipeline` batches. Both datasets come from a
    loader; the number of classes is read from the training labels.
    """
    import keras
    from keras import layers

    files = source_files(train)
    classes = int(files[1].max()) + 1 if files is not None else None
    if classes is None:
        raise ValueError("probe_accuracy needs the training dataset straight from a loader.")

    def block(x, filters, stride=1):
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        return layers.ReLU()(x)

    with streams.seeded(seed, "init"):  # the initial weights; the caller's random state is left alone
        inputs = keras.Input((resolution, resolution, 3))
        x = block(inputs, 24, stride=2)
        x = layers.MaxPool2D()(block(x, 24))
        x = layers.GlobalAveragePooling2D()(block(x, 48))
        model = keras.Model(inputs, layers.Dense(classes)(x))
    model.compile(
        keras.optimizers.Adam(0.002),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        pipeline(train, resolution=resolution, batch_size=batch_size, augment=True, seed=seed),
        epochs=epochs,
        shuffle=False,
        verbose=0,
    )
    _, accuracy = model.evaluate(
        pipeline(evaluation, resolution=resolution, batch_size=batch_size, shuffle=False), verbose=0
    )
    return float(accuracy)
