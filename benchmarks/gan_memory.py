"""Does chapter 7's memory stay flat as the GAN's training set grows?

Chapter 7 once held every training image in memory as float32 (about 590 MB
for Stanford Dogs' 12,000 images at 64 px, four times that at 128 px). Now
``mnlib.gan.run`` reads the images from their files batch by batch, and the
judge's pass over a split (``Classifier.view``) keeps only its outputs. This
script runs, in a fresh process for each size, what chapter 7 does with the
training images: one epoch of ``gan.run`` (a narrow GAN) and the judge's
view of the split (a small untrained MobileNet stands in for chapter 6's);
it prints the process' peak resident memory for the stand-in at 1x and at
``--factor`` times the images, their ratio (the goal: within 10 %), and, for
scale, the same run with the images first gathered into one float32 array
(the former way).

    python benchmarks/gan_memory.py [--images-per-class 40] [--factor 10] [--resolution 64]

Linux only: the peak is the kernel's high-water mark (VmHWM in /proc/self/status).
"""

import argparse
import json
import subprocess
import sys
import tempfile

from pipeline_memory import status  # the same /proc reader (benchmarks/ is the script's folder)


def child(root, resolution, hold):
    """One epoch of gan.run and the judge's view over ``root``'s training split; print a JSON line."""
    import mnlib  # noqa: F401  (imports TensorFlow quietly)
    from mnlib import data, gan, models

    train, _ = data.stanford_dogs(root, "train")
    imported = status("VmRSS")
    settings = gan.gan_settings(profile="smoke", epochs=1, batch_size=32, results_dir=f"{root}/results",
                                width=8, resolution=resolution, jit_compile=False)  # fmt: skip
    gan.run(train, settings, verbose=0)
    network = models.mobilenet(alpha=0.25, input_shape=(resolution, resolution, 3), classes=10)
    judge = gan.Classifier(network, [str(k) for k in range(10)], resolution)
    if hold:  # the former way: every image gathered first, as float32
        batches = data.pipeline(train, resolution=resolution, batch_size=128, shuffle=False)
        images = __import__("numpy").concatenate([x for x, _ in batches.as_numpy_iterator()])
        rows = len(judge.features(images))
    else:
        rows = len(judge.view(train, resolution).features)
    print(json.dumps(dict(images=len(train), rows=rows, imported=imported, peak=status("VmHWM"))))


def measure(images_per_class, resolution, hold):
    with tempfile.TemporaryDirectory() as folder:
        from mnlib import data

        data.synthetic("stanford-dogs", f"{folder}/dogs", classes=10, images_per_class=images_per_class,
                       eval_images_per_class=2, quirks=False)  # fmt: skip
        command = [sys.executable, __file__, "--child", f"{folder}/dogs", "--resolution", str(resolution)]
        out = subprocess.run(command + (["--hold"] if hold else []), check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images-per-class", type=int, default=40, help="the 1x size (default 40, the smoke's)")
    parser.add_argument("--factor", type=int, default=10, help="the larger size, in multiples (default 10)")
    parser.add_argument("--resolution", type=int, default=64, help="32, 64 or 128 px (default 64)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--hold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.resolution, args.hold)
    import mnlib  # noqa: F401

    mib = 2**20
    print(f"Chapter 7's pass over its training images at {args.resolution} px: peak resident memory (MiB)")
    for hold, name in ((False, "streamed (now)"), (True, "float32 array (before)")):
        small = measure(args.images_per_class, args.resolution, hold)
        large = measure(args.images_per_class * args.factor, args.resolution, hold)
        print(
            f"  {name:24s} {small['images']:6d} images: {small['peak'] / mib:7.0f}   "
            f"{large['images']:6d} images: {large['peak'] / mib:7.0f}   ratio {large['peak'] / small['peak']:.3f}"
        )


if __name__ == "__main__":
    main()
