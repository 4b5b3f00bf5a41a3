"""mnlib.gan: the DCGAN's networks, its training step, resuming, KID, the classifier it is judged by."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import mnlib  # noqa: F401
from mnlib import data, gan, results


@pytest.mark.parametrize("resolution", gan.RESOLUTIONS)
def test_networks_shapes_and_ranges(resolution):
    generator = gan.generator(latent_dim=7, resolution=resolution, width=4)
    discriminator = gan.discriminator(resolution=resolution, width=4)
    z = tf.random.normal([3, 7])
    images = generator(z, training=False).numpy()
    assert images.shape == (3, resolution, resolution, 3)
    assert images.min() >= -1.0 and images.max() <= 1.0
    last = generator.layers[-2]  # the last transposed convolution, before tanh
    last.bias.assign([1e4, -1e4, 0.0])  # pushes tanh to its limits: red to +1, green to -1
    saturated = generator(z, training=False).numpy()
    assert saturated.min() >= -1.0 and saturated.max() <= 1.0
    np.testing.assert_allclose(saturated[..., :2].reshape(-1, 2).mean(0), [1, -1], atol=1e-3)
    logits = discriminator(images, training=False).numpy()
    assert logits.shape == (3, 1)
    assert np.isfinite(logits).all()


def test_networks_follow_radford():
    generator = gan.generator(latent_dim=100, resolution=64, width=64)
    ups = [layer for layer in generator.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert [layer.filters for layer in ups] == [256, 128, 64, 3]
    assert all(layer.kernel_size == (4, 4) and layer.strides == (2, 2) for layer in ups)
    assert generator.layers[-1].activation is keras.activations.tanh
    assert sum(isinstance(layer, keras.layers.ReLU) for layer in generator.layers) == 4
    discriminator = gan.discriminator(resolution=64, width=64)
    leaky = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.LeakyReLU)]
    assert len(leaky) == 4 and all(abs(float(layer.negative_slope) - 0.2) < 1e-6 for layer in leaky)
    norms = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == 3  # none on the first block
    kernel = discriminator.get_layer("down3").kernel.numpy()
    assert abs(kernel.mean()) < 0.002 and abs(kernel.std() - 0.02) < 0.002


def test_one_train_step_changes_both_networks():
    keras.utils.set_random_seed(0)
    model = gan.DCGAN(gan.generator(8, 32, width=4), gan.discriminator(32, width=4))
    model.compile(jit_compile=False)
    batch = (tf.random.uniform([4, 32, 32, 3], -1, 1), tf.random.normal([4, 8]))
    before = [[w.numpy().copy() for w in net.trainable_weights] for net in (model.generator, model.discriminator)]
    logs = model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0, shuffle=False).history
    for net, old in zip((model.generator, model.discriminator), before):
        changed = [not np.array_equal(w.numpy(), o) for w, o in zip(net.trainable_weights, old)]
        assert all(changed), f"{net.name}: some weights did not move"
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake", "d_accuracy"}
    assert 0 <= logs["d_accuracy"][0] <= 1 and 0 < logs["d_real"][0] < 1 and 0 < logs["d_fake"][0] < 1
    assert model.d_optimizer.learning_rate.numpy() == pytest.approx(2e-4)
    assert float(model.d_optimizer.beta_1) == pytest.approx(0.5)


@pytest.fixture(scope="module")
def tiny_images(tmp_path_factory):
    root = data.synthetic("stanford-dogs", tmp_path_factory.mktemp("dogs") / "dogs", classes=2,
                          images_per_class=8, eval_images_per_class=2, quirks=False)  # fmt: skip
    images, _ = data.stanford_dogs(root, "train")
    return images


def _run(images, folder, epochs):
    return gan.run(images, dataset="synthetic", classes=2, epochs=epochs, resolution=32, latent_dim=6, width=4,
                   batch_size=4, seed=3, results_dir=folder, jit_compile=False, verbose=0)  # fmt: skip


def test_resumed_run_equals_uninterrupted_one(tiny_images, tmp_path):
    straight = _run(tiny_images, tmp_path / "straight", 3)
    first = _run(tiny_images, tmp_path / "resumed", 2)
    # cut off after the second epoch: the third is trained from the checkpoint, in a new call
    resumed = _run(tiny_images, tmp_path / "resumed", 3)
    assert len(straight["history"]["d_loss"]) == 3
    assert [len(v) for v in resumed["history"].values()] == [3] * len(resumed["history"])
    assert resumed["id"] == straight["id"]
    assert (
        pytest.approx(resumed["seconds"] - sum(resumed["history"]["seconds"][:2]), abs=0.05)
        == resumed["history"]["seconds"][2]
    )
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "d_accuracy"):
        np.testing.assert_allclose(resumed["history"][key], straight["history"][key], rtol=1e-5, err_msg=key)
        assert resumed["history"][key][:2] == first["history"][key]  # the first two epochs unchanged
    grids = [tmp_path / "resumed" / name for name in resumed["grids"]]
    assert len(grids) == 3 and all(path.is_file() for path in grids)
    generator = keras.models.load_model(tmp_path / "resumed" / resumed["model_file"], compile=False)
    images = generator(tf.random.normal([5, 6]), training=False).numpy()
    assert images.shape == (5, 32, 32, 3) and images.min() >= -1 and images.max() <= 1
    again = _run(tiny_images, tmp_path / "resumed", 3)  # a record of this configuration is loaded
    assert again["created"] == resumed["created"]


def test_kid_is_about_zero_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 32)), rng.normal(size=(400, 32))
    shifted = rng.normal(0.5, 1.0, size=(400, 32))
    same, different = gan.kid(a, b), gan.kid(a, shifted)
    assert abs(same) < 0.02
    assert different > 0.2 and different > 20 * abs(same)
    # unbiased: the mean over many small samples of one distribution is about 0 (a biased MMD would be > 0)
    small = [gan.kid(rng.normal(size=(20, 32)), rng.normal(size=(20, 32))) for _ in range(200)]
    assert abs(np.mean(small)) < 3 * np.std(small) / np.sqrt(len(small))
    # in subsets (as Bińkowski et al. with 1000 of many more): the same verdicts
    assert abs(gan.kid(a, b, subset_size=100, subsets=20)) < 0.05 < gan.kid(a, shifted, subset_size=100, subsets=20)


def test_nearest_finds_a_copy():
    rng = np.random.default_rng(1)
    references = rng.normal(size=(50, 8))
    index, distance = gan.nearest(references[[7, 3]] * 2.0, references, k=2)
    assert index[:, 0].tolist() == [7, 3]
    np.testing.assert_allclose(distance[:, 0], 0, atol=1e-9)
    assert (distance[:, 1] > 0).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gan.generator(latent_dim=0), "latent_dim"),
        (lambda: gan.generator(latent_dim=2.5), "latent_dim"),
        (lambda: gan.generator(resolution=48), r"\(32, 64, 128\)"),
        (lambda: gan.discriminator(resolution=256), r"\(32, 64, 128\)"),
        (lambda: gan.check_latent_dim(-1), "integer >= 1"),
        (lambda: gan.DCGAN(gan.generator(4, 32, 2), gan.discriminator(32, 2), label_smoothing=0.7), "label_smoothing"),
        (lambda: gan.kid(np.zeros((5, 3)), np.zeros((5, 4))), "same d"),
    ],
)
def test_bad_values_fail_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_file_that_is_not_a_classifier_is_refused(tmp_path):
    path = tmp_path / "generator.keras"
    gan.generator(4, 32, width=2).save(path)
    with pytest.raises(ValueError, match="not an image classifier|not a classifier"):
        gan.load_classifier(path)
    (tmp_path / "notes.keras").write_text("not a model")
    with pytest.raises(ValueError, match="could not be loaded"):
        gan.load_classifier(tmp_path / "notes.keras")
    with pytest.raises(ValueError, match="not a .keras file"):
        gan.load_classifier(_touch(tmp_path / "model.h5"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gan.load_classifier(tmp_path / "missing.keras")


def _touch(path):
    path.write_bytes(b"")
    return path


def test_find_classifier_takes_chapter_6s_best_record(tmp_path):
    inputs = keras.Input((40, 40, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(5, 3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(pooled))
    model.save(tmp_path / "dogs.keras")
    common = dict(dataset="synthetic", classes=3, resolution=40, model="mobilenet", model_args={}, params=1,
                  mult_adds=None, epochs=1, seconds=1.0, top5=None, history={}, profile="smoke", batch_size=4,
                  training={"family": "mobilenet"}, environment={}, class_names=["a", "b", "c"])  # fmt: skip
    results.write({**common, "id": "worse", "top1": 0.4, "notebook": "06_stanford_dogs", "model_file": "dogs.keras"},
                  tmp_path)  # fmt: skip
    results.write({**common, "id": "other-chapter", "top1": 0.9, "notebook": "03_width", "model_file": "dogs.keras"},
                  tmp_path)  # fmt: skip
    assert gan.find_classifier(tmp_path / "empty") is None
    judge = gan.find_classifier(tmp_path)
    assert (judge.source, judge.top1, judge.class_names, judge.resolution) == ("worse", 0.4, ["a", "b", "c"], 40)
    images = np.random.default_rng(0).uniform(-1, 1, (5, 64, 64, 3)).astype("float32")
    probabilities = judge.predict(images)
    assert probabilities.shape == (5, 3)
    np.testing.assert_allclose(probabilities.sum(1), 1, rtol=1e-5)
    assert judge.features(images).shape == (5, 5)
    assert json.loads((tmp_path / "worse.json").read_text())["model_file"] == "dogs.keras"
