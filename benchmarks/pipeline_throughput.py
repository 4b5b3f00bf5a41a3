"""Is training ever input-bound? Pipeline throughput against MobileNet training throughput.

The input pipeline (mnlib.data.pipeline: read JPEG files, decode, augment,
resize, MobileNet preprocessing, batch) is timed over whole epochs of a Tiny
ImageNet or Stanford Dogs folder; MobileNet 1.0 (mnlib.models.mobilenet) at
the same size is timed training on one in-memory batch, so that input costs
nothing. The two alternate, in the same process, so that machine load drifts
affect both alike. The script prints images per second for each and their
ratio, at each resolution; the pipeline should be at least 3 times faster
than training, so that the model never waits for data.

    python benchmarks/pipeline_throughput.py [--root tiny-imagenet-200] [--classes 10]
    python benchmarks/pipeline_throughput.py --dataset stanford-dogs --resolution 128 224

Stanford Dogs' photos are larger than Tiny ImageNet's (128 to 320 px in the
stand-in, most over 300 px in the real dataset), so decoding costs more per
image, while training at 128 or 224 px costs more too. Without --root, the
smoke stand-in is written to a temporary folder. On a
machine with a GPU, training is much faster and the ratio is the figure to
watch; the pipeline runs on the CPU either way.
"""

import argparse
import os
import tempfile
import time

import mnlib  # noqa: F401  (first: imports TensorFlow quietly)

# isort: split
import numpy as np
import tensorflow as tf
from model_throughput import train_step_rate  # this folder's model benchmark

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
    parser.add_argument("--dataset", default="tiny-imagenet", choices=["tiny-imagenet", "stanford-dogs"],
                        help="which dataset's layout (default tiny-imagenet)")  # fmt: skip
    parser.add_argument("--root", help="the dataset's extracted folder (default: a fresh stand-in)")
    parser.add_argument("--classes", type=int, default=10, help="classes to load (default 10)")
    parser.add_argument("--resolution", type=int, nargs="+", default=None,
                        help="model input sizes in pixels (default 64; 128 and 224 for stanford-dogs)")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=64, help="images per batch (default 64)")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="measurements of each (default 3)")
    args = parser.parse_args()
    resolutions = args.resolution or ([128, 224] if args.dataset == "stanford-dogs" else [64])
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or data.synthetic(args.dataset, f"{tmp}/{args.dataset}", classes=args.classes)
        train, names = data.load(args.dataset, root, "train", classes=args.classes)
        print(
            f"{args.dataset} {'stand-in' if not args.root else 'at ' + args.root}: {len(train)} JPEG files, "
            f"{len(names)} classes; batch {args.batch_size}; TensorFlow {tf.__version__} on "
            f"{'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}, {os.cpu_count()} CPU cores"
        )
        for resolution in resolutions:
            measure(train, len(names), resolution, args)


def measure(train, classes, resolution, args):
    """Time the pipeline and MobileNet's training at one resolution; print the rates and their ratio."""
    kinds = {
        "augmented": data.pipeline(train, resolution=resolution, batch_size=args.batch_size, augment=True),
        "plain": data.pipeline(train, resolution=resolution, batch_size=args.batch_size),
    }
    model = mobilenet(alpha=1.0, input_shape=(resolution, resolution, 3), classes=classes)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (args.batch_size, resolution, resolution, 3)).astype("float32")
    labels = rng.integers(0, classes, args.batch_size)

    for batches in kinds.values():  # warm up: trace, fill the file cache
        pipeline_rate(batches)
    train_step_rate(model, images, labels, steps=3)

    rates = {"augmented": [], "plain": [], "training": []}
    for _ in range(args.repeats):
        for kind, batches in kinds.items():
            rates[kind].append(pipeline_rate(batches))
        rates["training"].append(train_step_rate(model, images, labels, args.steps))

    median = {k: float(np.median(v)) for k, v in rates.items()}
    print(f"At {resolution} px:")

    def show(label, kind):
        values = ", ".join(f"{v:.0f}" for v in rates[kind])
        print(f"  {label:44} {median[kind]:8.0f} images/s (median of {args.repeats}: {values})")

    show("input pipeline, with augmentation", "augmented")
    show("input pipeline, without augmentation", "plain")
    show("MobileNet 1.0 training (in-memory batch)", "training")
    # One ratio per repeat: the pipeline and training measured back to back, under the same load.
    ratios = np.asarray(rates["augmented"]) / np.asarray(rates["training"])
    listed = ", ".join(f"{r:.1f}x" for r in ratios)
    verdict = "never input-bound" if ratios.min() >= 3 else "INPUT-BOUND RISK: a repeat below the 3x target"
    print(f"  pipeline (augmented) / training, per repeat: {listed}; lowest {ratios.min():.1f}x  ({verdict})")


if __name__ == "__main__":
    main()
