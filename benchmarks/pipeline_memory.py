"""Does the input pipeline's memory stay flat as the dataset grows?

The report's authors ran out of RAM by loading every image at once. Here one
epoch of mnlib.data.pipeline (augmented, shuffled, batch 64, 64 px) runs over a
Tiny ImageNet stand-in and over one 10 times larger, each in a fresh process;
the script prints the process' peak resident memory during the epoch, above
what it held before the epoch, for both sizes. Streaming from files, the two
should be about equal. For scale, it also prints what holding the decoded
images in memory would take (computed, not measured).

    python benchmarks/pipeline_memory.py [--images-per-class 100] [--factor 10]

Linux only: the peak is the kernel's high-water mark (VmHWM in
/proc/self/status), reset before the epoch through /proc/self/clear_refs.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB -> bytes
    raise KeyError(field)


def child(root):
    """Run one epoch over ``root``; print a JSON line of memory figures."""
    import mnlib  # noqa: F401  (imports TensorFlow quietly)
    from mnlib import data

    train, _ = data.tiny_imagenet(root, "train")
    batches = data.pipeline(train, resolution=64, batch_size=64, augment=True)
    next(iter(batches))  # build and trace everything once
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak-RSS mark to the current RSS
    start = time.perf_counter()
    images = sum(int(y.shape[0]) for _, y in batches)
    seconds = time.perf_counter() - start
    print(json.dumps(dict(images=images, before=before, peak=_status("VmHWM"), seconds=seconds)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images-per-class", type=int, default=100, help="smaller dataset (default 100)")
    parser.add_argument("--factor", type=int, default=10, help="how much larger the second is (default 10)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)

    import mnlib  # noqa: F401
    from mnlib import data

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.images_per_class, args.images_per_class * args.factor):
            root = data.synthetic("tiny-imagenet", f"{tmp}/{n}", images_per_class=n, eval_images_per_class=1)
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(root)], check=True, capture_output=True, text=True
            ).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))

    mib = 2**20
    print("Peak memory over one epoch of mnlib.data.pipeline (64 px, augmented, batch 64), Tiny ImageNet stand-in:")
    for row in rows:
        growth = (row["peak"] - row["before"]) / mib
        decoded = row["images"] * 64 * 64 * 3
        print(
            f"  {row['images']:6d} images: {row['before'] / mib:7.1f} MiB before the epoch, peak "
            f"{row['peak'] / mib:7.1f} MiB (+{growth:5.1f} MiB) in {row['seconds']:.1f} s; holding them "
            f"decoded would take {decoded / mib:6.1f} MiB as uint8, {4 * decoded / mib:7.1f} MiB as float32"
        )
    small, large = ((r["peak"] - r["before"]) / mib for r in rows)
    print(
        f"  dataset {args.factor}x larger: peak growth {small:.1f} -> {large:.1f} MiB "
        f"({'flat' if large <= small + 64 else 'NOT FLAT'}: the pipeline streams from the files)"
    )


if __name__ == "__main__":
    main()
