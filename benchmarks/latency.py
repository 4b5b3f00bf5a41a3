"""Single-image latency and size of LiteRT (float32, dynamic range, int8) against Keras, beside Mult-Adds.

For each network (MobileNet α = 1 and 0.5 at 128 and 224 px; VGG16 and
InceptionV3 at 224 px, randomly initialised: latency does not depend on the
weights' values) the script converts three LiteRT flatbuffers and times batch-1
inference with one thread (TensorFlow's intra-op pool set to 1 for Keras).
The machine's speed drifts, so the variants are measured in rounds: each round
times every variant of every network once (in alternating order), and each
variant's figure is the median over rounds of its per-round medians. Ratios come
from the same run, next to the ratio of Mult-Adds (mnlib.costs.model_cost).

    python benchmarks/latency.py [--rounds 3] [--runs 5] [--calibration 10] [--networks mobilenet-1.0-224 vgg16-224 ...]
"""

import argparse

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import keras
import numpy as np
import tensorflow as tf

from mnlib import deploy
from mnlib.baselines import baseline
from mnlib.costs import model_cost
from mnlib.models import mobilenet

NETWORKS = (
    "mobilenet-1.0-128",
    "mobilenet-1.0-224",
    "mobilenet-0.5-128",
    "mobilenet-0.5-224",
    "vgg16-224",
    "inception_v3-224",
)
VARIANTS = ("keras", "float32", "dynamic", "int8")


def build(name, classes):
    """A randomly initialised network from its name ``family[-alpha]-size``."""
    parts = name.split("-")
    size = int(parts[-1])
    shape = (size, size, 3)
    if parts[0] == "mobilenet":
        return mobilenet(alpha=float(parts[1]), input_shape=shape, classes=classes)
    return baseline(parts[0], shape, classes)


def prepare(name, classes, calibration):
    """Model, its four variants (Keras model and three flatbuffers), sizes and Mult-Adds."""
    model = build(name, classes)
    shape = model.input_shape[1:]
    images = np.random.default_rng(0).uniform(-1, 1, (calibration, *shape)).astype(np.float32)
    variants = {
        "keras": model,
        "float32": deploy.convert(model),
        "dynamic": deploy.convert(model, "dynamic"),
        "int8": deploy.convert(model, "int8", representative_data=images),
    }
    return {
        "shape": shape,
        "variants": variants,
        "mult_adds": float(model_cost(model)["mult_adds"].sum()),
        "sizes": {key: deploy.size_bytes(value) for key, value in variants.items()},
    }


def measure(prepared, rounds, runs):
    """Per network and variant, the median over rounds of each round's median latency (ms)."""
    times = {(net, variant): [] for net in prepared for variant in VARIANTS}
    order = list(times)
    for round_ in range(rounds):
        for key in order if round_ % 2 == 0 else reversed(order):
            net, variant = key
            result = deploy.latency(
                prepared[net]["variants"][variant], prepared[net]["shape"], threads=1, runs=runs, warmup=2
            )
            times[key].append(result["median_ms"])
    return {key: float(np.median(values)) for key, values in times.items()}


def table(prepared, latency):
    lines = [
        f"{'network':<20}{'MMult-Adds':>11}"
        + "".join(f"{v + ' ms':>12}{v + ' MB':>11}" for v in VARIANTS)
        + f"{'int8 speed-up':>15}"
    ]
    for net, info in prepared.items():
        cells = "".join(f"{latency[net, v]:>12.2f}{info['sizes'][v] / 1e6:>11.2f}" for v in VARIANTS)
        speedup = latency[net, "float32"] / latency[net, "int8"]
        lines.append(f"{net:<20}{info['mult_adds'] / 1e6:>11.1f}{cells}{speedup:>15.2f}")
    return "\n".join(lines)


def ratios(prepared, latency):
    """MobileNet against each other network at 224 px: measured latency ratio beside the Mult-Adds ratio."""
    lines = ["", "At 224 px, other / MobileNet: latency (float32 LiteRT, Keras) against Mult-Adds"]
    small = [net for net in prepared if net.startswith("mobilenet") and net.endswith("-224")]
    large = [net for net in prepared if not net.startswith("mobilenet")]
    for mobile in small:
        for other in large:
            lite = latency[other, "float32"] / latency[mobile, "float32"]
            kerasr = latency[other, "keras"] / latency[mobile, "keras"]
            mult = prepared[other]["mult_adds"] / prepared[mobile]["mult_adds"]
            lines.append(f"  {other} / {mobile}: LiteRT {lite:.1f}x, Keras {kerasr:.1f}x, Mult-Adds {mult:.1f}x")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=NETWORKS, help="networks to time")
    parser.add_argument("--classes", type=int, default=1000, help="classes of the classifier (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per variant and round (default 5)")
    # Latency and size do not depend on how well the int8 scales fit, so a few images do here (the library's
    # guidance for a model that is to be used is 100-300).
    parser.add_argument("--calibration", type=int, default=10, help="representative images for int8 (default 10)")
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(0)
    prepared = {net: prepare(net, args.classes, args.calibration) for net in args.networks}
    latency = measure(prepared, args.rounds, args.runs)
    print(f"Single-image latency (median of {args.rounds} rounds x {args.runs} runs, 1 thread) and size")
    print(table(prepared, latency))
    print(ratios(prepared, latency))


if __name__ == "__main__":
    main()
