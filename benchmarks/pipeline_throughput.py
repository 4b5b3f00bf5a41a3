"""Is training ever input-bound? Pipeline throughput against MobileNet training throughput.

The input pipeline (mnlib.data.pipeline: read JPEG files, decode, augment,
resize to 64 px, MobileNet preprocessing, batch) is timed over whole epochs of
a Tiny ImageNet folder; MobileNet 1.0 (mnlib.models.mobilenet) at 64 px is
timed training on one in-memory batch, so that input costs nothing. The two
alternate, in the same process, so that machine load drifts affect both alike.
The script prints images per second for each and their ratio; the pipeline
should be at least 3 times faster than training, so that the model never
waits for data.

    python benchmarks/pipeline_throughput.py [--root tiny-imagenet-200] [--classes 10]

Without --root, the smoke stand-in is written to a temporary folder. On a
machine with a GPU, training is much faster and the ratio is the figure to
watch; the pipeline runs on the CPU either way.
"""

import argparse
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
from model_throughput import train_step_rate  # this folder's model benchmark

import mnlib  # noqa: F401  (imports TensorFlow quietly)
from mnlib import data
from mnlib.models import mobilenet


def pipeline_rate(batches, epochs=1):
    """Images per second over ``epochs`` whole passes over a batched dataset."""
    count = 0
    start = time.perf_counter()
    for _ in range(epochs):
        for _, labels in batches:
            count += int(labels.shape[0])
    return count / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", help="a tiny-imagenet-200 folder (default: a fresh stand-in)")
    parser.add_argument("--classes", type=int, default=10, help="classes to load (default 10)")
    parser.add_argument("--resolution", type=int, default=64, help="model input in pixels (default 64)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per batch (default 64)")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="measurements of each (default 3)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or data.synthetic("tiny-imagenet", f"{tmp}/tiny-imagenet-200", classes=args.classes)
        train, names = data.tiny_imagenet(root, "train", classes=args.classes)
        kinds = {
            "augmented": data.pipeline(train, resolution=args.resolution, batch_size=args.batch_size, augment=True),
            "plain": data.pipeline(train, resolution=args.resolution, batch_size=args.batch_size),
        }
        model = mobilenet(alpha=1.0, input_shape=(args.resolution, args.resolution, 3), classes=len(names))
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(0)
        images = rng.uniform(-1, 1, (args.batch_size, args.resolution, args.resolution, 3)).astype("float32")
        labels = rng.integers(0, len(names), args.batch_size)

        for batches in kinds.values():  # warm up: trace, fill the file cache
            pipeline_rate(batches)
        train_step_rate(model, images, labels, steps=3)

        rates = {"augmented": [], "plain": [], "training": []}
        for _ in range(args.repeats):
            for kind, batches in kinds.items():
                rates[kind].append(pipeline_rate(batches))
            rates["training"].append(train_step_rate(model, images, labels, args.steps))

    median = {k: float(np.median(v)) for k, v in rates.items()}
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    print(
        f"Tiny ImageNet {'stand-in' if not args.root else 'at ' + args.root}: {len(train)} JPEG files, "
        f"{len(names)} classes; {args.resolution} px, batch {args.batch_size}; TensorFlow "
        f"{tf.__version__} on {device}, {os.cpu_count()} CPU cores"
    )

    def show(label, kind):
        values = ", ".join(f"{v:.0f}" for v in rates[kind])
        print(f"  {label:44} {median[kind]:8.0f} images/s (median of {args.repeats}: {values})")

    show("input pipeline, with augmentation", "augmented")
    show("input pipeline, without augmentation", "plain")
    show("MobileNet 1.0 training (in-memory batch)", "training")
    ratio = median["augmented"] / median["training"]
    verdict = "never input-bound" if ratio >= 3 else "INPUT-BOUND RISK: below the 3x target"
    print(f"  pipeline (augmented) / training: {ratio:.1f}x  ({verdict})")


if __name__ == "__main__":
    main()
