"""The DCGAN as one ``keras.Model``: a ``train_step`` that alternates the two updates.

As keras-io's ``dcgan_overriding_train_step.py`` does, the GAN is a Keras
model with its own :meth:`DCGAN.compile` (two optimizers, one loss),
metric trackers and :meth:`DCGAN.train_step`, so ``fit``, callbacks and
compiled steps work as for any model. Each step, on a batch of real images
``x`` and a batch of noise ``z`` (given with the data, so that a run is a
function of its seed and resumes exactly; :mod:`mnlib.gan.training` draws
it from :mod:`mnlib.streams`), makes two updates, one gradient tape each:

1. the discriminator's: the binary cross-entropy of its logits on the real
   batch against label 1 plus that on ``G(z)`` against label 0 (a *sum* of
   two means, so ``log 4`` at D = 1/2), real and generated images in
   separate passes (batch norm sees batches of one kind);
2. then the generator's: ``G(z)`` again from the same ``z``, and the
   cross-entropy of ``D(G(z))`` against label 1 through the *updated*
   discriminator (the "non-saturating" loss of Goodfellow et al. 2014,
   which the paper uses: strong gradients while the discriminator rejects
   the samples).

The second pass of the generator keeps the discriminator's update out of
the generator's tape (keras-io's example draws new noise for it instead;
TensorFlow's DCGAN tutorial updates both networks at once, from one pass).

Adam at 2e-4 with β₁ = 0.5 for both (Radford et al.; keras-io's GAN-ADA notes
that β₁ = 0.9 "would not work"): :func:`optimizers`.

Tricks that the paper does not use are arguments, off by default:
``label_smoothing`` (one-sided: real labels ``1 - s``, Salimans et al. 2016)
and ``label_noise`` (real and fake labels moved towards each other by up to
that much, uniformly, as keras-io's DCGAN example does with 0.05; drawn from
the ``"label_noise"`` stream of the model's ``seed`` and the step).

The metrics, each epoch's mean (the balance between the two networks as
curves): ``d_loss``, ``g_loss``, ``d_real`` (mean D(x) = sigmoid of the
logit on real images), ``d_fake`` (mean D(G(z)) before the discriminator's
update) and ``d_accuracy`` (the fraction of both batches the
discriminator classifies right at 0.5). Introduced in chapter 7.
"""

from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["DCGAN", "optimizers", "LEARNING_RATE", "BETA_1"]

#: Radford et al.'s Adam settings, for both networks.
LEARNING_RATE = 2e-4
BETA_1 = 0.5


def optimizers(learning_rate: float = LEARNING_RATE, beta_1: float = BETA_1):
    """``(d_optimizer, g_optimizer)``: two Adam optimizers at the paper's settings (2e-4, β₁ 0.5)."""
    return (
        keras.optimizers.Adam(learning_rate, beta_1=beta_1, name="d_adam"),
        keras.optimizers.Adam(learning_rate, beta_1=beta_1, name="g_adam"),
    )


class DCGAN(keras.Model):
    """A generator and a discriminator trained against each other (see the module's description).

    Args:
        generator: noise ``[B, latent_dim]`` -> images ``[B, r, r, 3]`` in [-1, 1]
            (:func:`mnlib.gan.generator`).
        discriminator: images -> logits ``[B, 1]`` (:func:`mnlib.gan.discriminator`).
        label_smoothing: real images' target is ``1 - label_smoothing`` in the
            discriminator's loss (0 <= s < 0.5; default 0, off).
        label_noise: each target moved by a uniform draw of up to this much,
            towards the other label (0 <= n < 0.5; default 0, off).
        seed: the run's seed; the label noise of step ``k`` is drawn from
            ``mnlib.streams.key(seed, "label_noise")`` folded with ``k``.

    ``fit`` takes batches ``(real [B, r, r, 3], z [B, latent_dim])``;
    calling the model generates images from noise.
    """

    def __init__(self, generator, discriminator, *, label_smoothing=0.0, label_noise=0.0, seed=0, **kwargs):
        from mnlib import checks, streams

        super().__init__(**kwargs)
        hint = "0 is off, the paper's choice"
        for name, value in (("label_smoothing", label_smoothing), ("label_noise", label_noise)):
            checks.number(name, value, minimum=0, below=0.5, hint=hint)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(generator.input_shape[-1])
        self.label_smoothing = float(label_smoothing)
        self.label_noise = float(label_noise)
        self.noise_key = streams.key(checks.integer("seed", seed), "label_noise")
        names = ("d_loss", "g_loss", "d_real", "d_fake", "d_accuracy")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    def compile(self, d_optimizer=None, g_optimizer=None, loss_fn=None, jit_compile: bool | str = "auto", **kwargs):
        """Set the two optimizers (default :func:`optimizers`) and the loss (default BCE from logits).

        ``jit_compile``: XLA for the training step; ``"auto"`` lets Keras
        choose (on a GPU, yes; on a CPU, no).
        """
        super().compile(jit_compile=jit_compile, **kwargs)
        if d_optimizer is None or g_optimizer is None:
            d_default, g_default = optimizers()
            d_optimizer, g_optimizer = d_optimizer or d_default, g_optimizer or g_default
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.loss_fn = loss_fn or keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def targets(self, logits, label, stream):
        """The discriminator's targets for ``logits`` of one kind (``label`` 1 real, 0 generated).

        Real targets are ``1 - label_smoothing``; with ``label_noise`` each
        target moves towards the other label by a uniform draw in
        ``[0, label_noise)``, from stream ``stream`` (0 or 1) of this step.
        """
        value = 1.0 - self.label_smoothing if label == 1 else 0.0
        target = tf.fill(tf.shape(logits), value)
        if not self.label_noise:
            return target
        step = tf.cast(self.d_optimizer.iterations, tf.int64) * 2 + stream
        key = tf.random.experimental.stateless_fold_in(self.noise_key, step)
        shift = tf.random.stateless_uniform(tf.shape(logits), key, 0.0, self.label_noise)
        return target - shift if label == 1 else target + shift

    def train_step(self, data):
        real, z = data
        # 1. The discriminator: real -> 1 (or 1 - smoothing), generated -> 0.
        fake = self.generator(z, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = self.loss_fn(self.targets(real_logits, 1, 0), real_logits) + self.loss_fn(
                self.targets(fake_logits, 0, 1), fake_logits
            )
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))

        # 2. The generator: make the updated discriminator say 1 on G(z).
        with tf.GradientTape() as tape:
            logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.loss_fn(tf.ones_like(logits), logits)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))

        right = tf.concat([tf.cast(real_logits > 0, tf.float32), tf.cast(fake_logits <= 0, tf.float32)], 0)
        values = {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
            "d_accuracy": tf.reduce_mean(right),
        }
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}
