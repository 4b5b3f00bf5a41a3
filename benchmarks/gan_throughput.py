"""Training throughput of mnlib.gan's DCGAN against the TensorFlow tutorial's loop, with and without XLA.

Both train the same two networks (:func:`mnlib.gan.generator` and
:func:`mnlib.gan.discriminator`) with the same Adam settings on the same
in-memory batch of real images:

* ``mnlib.gan.DCGAN.fit``: Keras' compiled ``train_step``, alternating
  updates, one gradient tape each: the discriminator's, then the
  generator's, through a second pass of the generator and the updated
  discriminator (one more pass of each network per step than the tutorial's);
* the loop of TensorFlow's DCGAN tutorial (tensorflow/docs,
  ``generative/dcgan.ipynb``): a ``tf.function`` ``train_step`` with two
  ``GradientTape``\\ s and simultaneous updates, noise drawn inside the step.

Both are timed without XLA and with it (``jit_compile=True`` for Keras'
step, ``tf.function(jit_compile=True)`` for the tutorial's), each
measurement over ``--steps`` steps (at least 100). Each repeat measures the
two loops in the order A, B, B, A, so that a drift in the machine's speed
affects both alike, and gives one ratio; the script prints images per second
for each and the median ratio (mnlib / tutorial). With ``--smoke`` it also
runs chapter 7's notebook with its default parameters into a fresh results
folder and prints its wall time (chapter 6's records must be in
``--results-from``, copied first).

    python benchmarks/gan_throughput.py [--resolution 64] [--width 64] [--batch-size 64] [--steps 100] [--smoke]
"""

import mnlib  # noqa: F401, I001  (first: imports TensorFlow quietly)

# isort: split
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from mnlib import device, gan

ROOT = pathlib.Path(__file__).resolve().parent.parent


def mnlib_rate(model, real, latent_dim, steps):
    """Images per second of ``DCGAN.fit`` over ``steps`` steps."""
    batch = len(real)
    noise = tf.data.Dataset.range(steps).map(lambda k: tf.random.stateless_normal([batch, latent_dim], [k, 0]))
    data = tf.data.Dataset.zip(tf.data.Dataset.from_tensors(real).repeat(steps), noise)
    data = data.cache()
    for _ in data:  # fill the cache: time the training, not the noise
        pass
    start = time.perf_counter()
    model.fit(data, epochs=1, verbose=0, shuffle=False)
    return steps * batch / (time.perf_counter() - start)


def tutorial_step(generator, discriminator, batch, latent_dim, xla):
    """TensorFlow's DCGAN tutorial's ``train_step``, as written there (its losses, two tapes)."""
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    g_optimizer = keras.optimizers.Adam(gan.LEARNING_RATE, beta_1=gan.BETA_1)
    d_optimizer = keras.optimizers.Adam(gan.LEARNING_RATE, beta_1=gan.BETA_1)

    def discriminator_loss(real_output, fake_output):
        real_loss = cross_entropy(tf.ones_like(real_output), real_output)
        fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
        return real_loss + fake_loss

    def generator_loss(fake_output):
        return cross_entropy(tf.ones_like(fake_output), fake_output)

    @tf.function(jit_compile=xla)
    def train_step(images):
        noise = tf.random.normal([batch, latent_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated_images, training=True)
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)
        gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
        gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        g_optimizer.apply_gradients(zip(gradients_of_generator, generator.trainable_variables))
        d_optimizer.apply_gradients(zip(gradients_of_discriminator, discriminator.trainable_variables))
        return disc_loss  # (not in the tutorial) lets the timer wait for the last step

    return train_step


def tutorial_rate(step, real, steps):
    start = time.perf_counter()
    for _ in range(steps):
        loss = step(real)
    float(loss)  # wait for the queued steps
    return steps * len(real) / (time.perf_counter() - start)


def smoke_time(results_from):
    """Wall seconds of chapter 7 with its defaults, into a copy of ``results_from`` (chapter 6's records)."""
    import shutil

    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(results_from, f"{folder}/results")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "07_dcgan.ipynb"), f"{folder}/out.ipynb",
             "-p", "RESULTS_DIR", f"{folder}/results", "--no-progress-bar"],
            check=True, cwd=ROOT, env={**os.environ, "MNLIB_RESULTS_DIR": f"{folder}/results"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return time.perf_counter() - start


def compare(args, xla):
    """Images per second of both loops, ``args.repeats`` A-B-B-A repeats, with XLA or without."""
    shape = (args.batch_size, args.resolution, args.resolution, 3)
    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, shape), tf.float32)
    networks = [(gan.generator(args.latent_dim, args.resolution, args.width, seed=k),
                 gan.discriminator(args.resolution, args.width, seed=k + 1)) for k in (0, 2)]  # fmt: skip
    model = gan.DCGAN(*networks[0])
    model.compile(jit_compile=xla)
    step = tutorial_step(*networks[1], args.batch_size, args.latent_dim, xla)
    mnlib_rate(model, real, args.latent_dim, 3)  # trace and warm up
    tutorial_rate(step, real, 3)
    rates = {"mnlib.gan.DCGAN.fit": [], "TF tutorial loop": []}
    ratios = []
    for _ in range(args.repeats):
        a1 = mnlib_rate(model, real, args.latent_dim, args.steps)
        b1 = tutorial_rate(step, real, args.steps)
        b2 = tutorial_rate(step, real, args.steps)
        a2 = mnlib_rate(model, real, args.latent_dim, args.steps)
        rates["mnlib.gan.DCGAN.fit"] += [a1, a2]
        rates["TF tutorial loop"] += [b1, b2]
        ratios.append((a1 + a2) / (b1 + b2))
    return rates, ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resolution", type=int, default=64, help="image side in pixels: 32, 64 or 128 (default 64)")
    parser.add_argument("--width", type=int, default=64, help="the networks' width (default 64)")
    parser.add_argument("--latent-dim", type=int, default=100, help="length of z (default 100)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step (default 64)")
    parser.add_argument("--steps", type=int, default=100, help="timed steps per measurement (default 100, at least)")
    parser.add_argument("--repeats", type=int, default=3, help="A-B-B-A repeats (default 3)")
    parser.add_argument("--smoke", action="store_true", help="also time chapter 7's smoke run")
    parser.add_argument("--results-from", default="results", help="a folder with chapter 6's records (for --smoke)")
    args = parser.parse_args()
    if args.steps < 100:
        parser.error(f"--steps must be at least 100 (a few steps time the start, not the loop); got {args.steps}.")

    name = device.accelerator().name
    print(f"DCGAN at {args.resolution} px, width {args.width}, batches of {args.batch_size}, {args.steps} steps "
          f"per measurement, on {name}:")  # fmt: skip
    for xla in (False, True):
        rates, ratios = compare(args, xla)
        print(f" {'with' if xla else 'without'} XLA:")
        for loop, values in rates.items():
            print(f"  {loop:22s} {np.median(values):8.1f} training images/s (median of {len(values)})")
        print(f"  ratio mnlib / tutorial: {np.median(ratios):.2f} (median of {len(ratios)} A-B-B-A repeats)")
    if args.smoke:
        print(f"Chapter 7's smoke run (default parameters): {smoke_time(args.results_from):.0f} s wall time")


if __name__ == "__main__":
    main()
