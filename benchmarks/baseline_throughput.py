"""Do Mult-Adds predict speed here? MobileNet, VGG16 and InceptionV3 from scratch on this machine.

Each network is built by mnlib.baselines.baseline (weights=None) and trained
and run on the same in-memory batch: MobileNet and VGG16 at 64 px,
InceptionV3 at 64 px (upsampled to 75 px inside the model, as the course
feeds it Tiny ImageNet) and at 75 px. Each repeat measures them in the order
A, B, C, D, D, C, B, A, training then inference at each slot, so that a drift
in the machine's speed affects all alike; each repeat gives one ratio per
network, and the script prints the median of the per-repeat ratios beside
the ratio of Mult-Adds (mnlib.costs.model_cost). A ratio is "how many times
MobileNet's": its Mult-Adds over MobileNet's, and MobileNet's images per
second over its own.

    python benchmarks/baseline_throughput.py [--batch-size 32] [--steps 3] [--repeats 3]
"""

import argparse
import time

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import numpy as np
import tensorflow as tf
from model_throughput import train_step_rate  # this folder's model benchmark

from mnlib.baselines import baseline
from mnlib.costs import model_cost

#: (label, baseline name, input side in pixels); the first is the reference.
NETWORKS = (
    ("MobileNet 64 px", "mobilenet", 64),
    ("VGG16 64 px", "vgg16", 64),
    ("InceptionV3 64->75 px", "inception_v3", 64),
    ("InceptionV3 75 px", "inception_v3", 75),
)


def inference_rate(model, images, steps):
    """Images per second over ``steps`` forward passes (inference mode) on one batch."""
    dataset = tf.data.Dataset.from_tensors(images).repeat(steps)
    start = time.perf_counter()
    model.predict(dataset, verbose=0)
    return steps * len(images) / (time.perf_counter() - start)


def measure(models, batches, steps, repeats):
    """Per-repeat rates ``{label: {"train": [...], "infer": [...]}}``, A-B-C-D-D-C-B-A each repeat."""
    rates = {label: {"train": [], "infer": []} for label in models}
    order = list(models) + list(reversed(models))
    for _ in range(repeats):
        seconds = {label: {"train": 0.0, "infer": 0.0} for label in models}  # per image, summed over 2 slots
        for label in order:
            images, labels = batches[label]
            seconds[label]["train"] += 1 / train_step_rate(models[label], images, labels, steps)
            seconds[label]["infer"] += 1 / inference_rate(models[label], images, steps)
        for label in models:
            for kind in ("train", "infer"):
                rates[label][kind].append(2 / seconds[label][kind])
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=10, help="number of classes (default 10)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per step (default 32)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per measurement (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="A-B-C-D-D-C-B-A repeats (default 3)")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    models, batches, mult_adds, params = {}, {}, {}, {}
    for label, name, side in NETWORKS:
        model = baseline(name, (side, side, 3), args.classes)
        cost = model_cost(model)
        mult_adds[label], params[label] = cost["mult_adds"].sum(), cost["params"].sum()
        images = rng.uniform(-1, 1, (args.batch_size, side, side, 3)).astype("float32")
        batches[label] = images, rng.integers(0, args.classes, args.batch_size)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        train_step_rate(model, *batches[label], steps=2)  # trace and warm up
        inference_rate(model, images, steps=2)
        models[label] = model

    rates = measure(models, batches, args.steps, args.repeats)
    reference = NETWORKS[0][0]
    print(
        f"From scratch, {args.classes} classes, batch {args.batch_size}, {args.steps} steps per measurement, "
        f"{args.repeats} A-B-C-D-D-C-B-A repeats; TensorFlow {tf.__version__}, "
        f"{'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}"
    )
    print(
        f"  {'':22} {'M Mult-Adds':>11} {'M params':>9} {'train img/s':>12} {'infer img/s':>12}  |  "
        f"times MobileNet's: {'Mult-Adds':>9} {'train time':>10} {'infer time':>10}"
    )
    for label, _, _ in NETWORKS:
        ratios = {
            kind: np.median(np.array(rates[reference][kind]) / np.array(rates[label][kind]))
            for kind in ("train", "infer")
        }
        print(
            f"  {label:22} {mult_adds[label] / 1e6:11.1f} {params[label] / 1e6:9.2f} "
            f"{np.median(rates[label]['train']):12.1f} {np.median(rates[label]['infer']):12.1f}  |  "
            f"{'':18} {mult_adds[label] / mult_adds[reference]:9.1f} {ratios['train']:10.1f} "
            f"{ratios['infer']:10.1f}"
        )
    print("  (rates: medians over the repeats; time ratios: medians of the per-repeat ratios)")


if __name__ == "__main__":
    main()
