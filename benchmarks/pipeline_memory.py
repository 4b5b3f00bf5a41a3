"""Does the input pipeline's memory stay flat as the dataset grows?

The report's authors ran out of RAM by loading every image at once. Here one
epoch of mnlib.data.pipeline (augmented, shuffled, batch 64) runs over a
stand-in and over one 10 times larger, each in a fresh process; the script
prints the process' peak resident memory during the epoch, above what it held
before the epoch, for both sizes and at each resolution asked for. Streaming
from files, the two should be about equal. For scale, it also prints what
holding the decoded images in memory would take (computed, not measured: for
Stanford Dogs, at the photos' stored sizes, 128 to 320 px in the stand-in and
mostly larger in the real dataset).

    python benchmarks/pipeline_memory.py [--images-per-class 100] [--factor 10]
    python benchmarks/pipeline_memory.py --dataset stanford-dogs --resolution 128 224

Linux only: the peak is the kernel's high-water mark (VmHWM in
/proc/self/status), reset before the epoch through /proc/self/clear_refs.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time


def status(field):
    """A field of /proc/self/status in bytes (VmRSS: resident now, VmHWM: its peak)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB -> bytes
    raise KeyError(field)


def child(root, dataset, resolution):
    """Run one epoch over ``root`` at ``resolution``; print a JSON line of memory figures."""
    import mnlib  # noqa: F401  (imports TensorFlow quietly)
    from mnlib import data

    train, _ = data.load(dataset, root, "train")
    stored = int(data.image_sizes(train.files.paths).prod(axis=1).sum()) * 3  # decoded bytes at stored sizes
    batches = data.pipeline(train, resolution=resolution, batch_size=64, augment=True)
    next(iter(batches))  # build and trace everything once
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak-RSS mark to the current RSS
    start = time.perf_counter()
    images = sum(int(y.shape[0]) for _, y in batches)
    seconds = time.perf_counter() - start
    print(json.dumps(dict(images=images, before=before, peak=status("VmHWM"), seconds=seconds, stored=stored)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="tiny-imagenet", choices=["tiny-imagenet", "stanford-dogs"],
                        help="whose stand-in (default tiny-imagenet)")  # fmt: skip
    parser.add_argument("--resolution", type=int, nargs="+", default=None,
                        help="model input sizes in pixels (default 64; 128 and 224 for stanford-dogs)")  # fmt: skip
    parser.add_argument("--images-per-class", type=int, default=None,
                        help="smaller dataset (default 100; 10 for stanford-dogs: larger photos)")  # fmt: skip
    parser.add_argument("--factor", type=int, default=10, help="how much larger the second is (default 10)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    dogs = args.dataset == "stanford-dogs"
    resolutions = args.resolution or ([128, 224] if dogs else [64])
    if args.child:
        return child(args.child, args.dataset, resolutions[0])
    per_class = args.images_per_class or (10 if dogs else 100)

    import mnlib  # noqa: F401
    from mnlib import data

    with tempfile.TemporaryDirectory() as tmp:
        roots = [
            data.synthetic(args.dataset, f"{tmp}/{n}", images_per_class=n, eval_images_per_class=1)
            for n in (per_class, per_class * args.factor)
        ]
        for resolution in resolutions:
            rows = []
            for root in roots:
                command = [sys.executable, __file__, "--child", str(root), "--dataset", args.dataset,
                           "--resolution", str(resolution)]  # fmt: skip
                out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                rows.append(json.loads(out.strip().splitlines()[-1]))
            report(rows, args.dataset, resolution, args.factor)


def report(rows, dataset, resolution, factor):
    """Print one resolution's memory figures for the two dataset sizes."""
    mib = 2**20
    print(f"Peak memory over one epoch of mnlib.data.pipeline ({resolution} px, augmented, batch 64), "
          f"{dataset} stand-in:")  # fmt: skip
    for row in rows:
        growth = (row["peak"] - row["before"]) / mib
        fed = row["images"] * resolution * resolution * 3
        print(
            f"  {row['images']:6d} images: {row['before'] / mib:7.1f} MiB before the epoch, peak "
            f"{row['peak'] / mib:7.1f} MiB (+{growth:5.1f} MiB) in {row['seconds']:.1f} s; holding them decoded "
            f"would take {row['stored'] / mib:7.1f} MiB at their stored sizes (uint8), "
            f"{4 * fed / mib:7.1f} MiB at {resolution} px (float32)"
        )
    small, large = ((r["peak"] - r["before"]) / mib for r in rows)
    print(
        f"  dataset {factor}x larger: peak growth {small:.1f} -> {large:.1f} MiB "
        f"({'flat' if large <= small + 64 else 'NOT FLAT'}: the pipeline streams from the files)"
    )


if __name__ == "__main__":
    main()
