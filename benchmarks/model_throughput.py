"""Training throughput of mnlib.models.mobilenet against keras.applications.MobileNet.

Both models are built with the same arguments, compiled the same way and
trained on the same in-memory batch. Each repeat measures them in the order
A, B, B, A, so that a drift in the machine's speed affects both alike, and
gives one ratio; the script prints images per second for each and the median
of the per-repeat ratios. The two are the same network, so the ratio should
be close to 1.

    python benchmarks/model_throughput.py [--alpha 1.0] [--resolution 64] [--batch-size 64]
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

import mnlib  # noqa: F401  (imports TensorFlow quietly)
from mnlib.models import mobilenet


def train_step_rate(model, images, labels, steps):
    """Images per second over ``steps`` training steps on one batch."""
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat(steps)
    start = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0, shuffle=False)
    return steps * len(images) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alpha", type=float, default=1.0, help="width multiplier (default 1.0)")
    parser.add_argument("--resolution", type=int, default=64, help="input size in pixels (default 64)")
    parser.add_argument("--classes", type=int, default=10, help="number of classes (default 10)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step (default 64)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per measurement (default 10)")
    parser.add_argument("--repeats", type=int, default=5, help="A-B-B-A repeats (default 5)")
    args = parser.parse_args()

    shape = (args.resolution, args.resolution, 3)
    models = {
        "mnlib.models.mobilenet": mobilenet(alpha=args.alpha, input_shape=shape, classes=args.classes),
        "keras.applications.MobileNet": keras.applications.MobileNet(
            alpha=args.alpha, input_shape=shape, classes=args.classes, weights=None
        ),
    }
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (args.batch_size, *shape)).astype("float32")
    labels = rng.integers(0, args.classes, args.batch_size)
    for model in models.values():
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        train_step_rate(model, images, labels, steps=3)  # trace and warm up

    rates = {name: [] for name in models}
    ratios = []
    names = list(models)
    for _ in range(args.repeats):
        measured = {name: 0.0 for name in names}
        for name in (names[0], names[1], names[1], names[0]):
            rate = train_step_rate(models[name], images, labels, args.steps)
            rates[name].append(rate)
            measured[name] += 1 / rate  # seconds per image
        ratios.append(measured[names[1]] / measured[names[0]])

    print(
        f"MobileNet alpha={args.alpha} at {args.resolution} px, {args.classes} classes, "
        f"batch {args.batch_size}, TensorFlow {tf.__version__}, "
        f"{'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}"
    )
    for name, values in rates.items():
        print(
            f"  {name:30} {np.median(values):8.1f} training images/s "
            f"(median of {len(values)}; range {min(values):.1f}-{max(values):.1f})"
        )
    print(
        f"  throughput ratio mnlib / keras.applications: {np.median(ratios):.3f} "
        f"(median of {len(ratios)} A-B-B-A repeats; range {min(ratios):.3f}-{max(ratios):.3f})"
    )


if __name__ == "__main__":
    main()
