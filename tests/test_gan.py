"""mnlib.gan: the DCGAN's networks, its training step, resuming, KID, the classifier it is judged by."""

import dataclasses
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
    model = gan.DCGAN(gan.generator(8, 32, width=4, seed=1), gan.discriminator(32, width=4, seed=2))
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


def _settings(folder, epochs, **fields):
    return gan.gan_settings(profile="smoke", epochs=epochs, batch_size=4, results_dir=folder, classes=2, width=4,
                            resolution=32, latent_dim=6, seed=3, jit_compile=False, **fields)  # fmt: skip


def _run(images, folder, epochs, **options):
    return gan.run(images, _settings(folder, epochs), verbose=0, **options)


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
    same, different = float(gan.kid(a, b)), float(gan.kid(a, shifted))
    assert abs(same) < 0.02
    assert different > 0.2 and different > 20 * abs(same)
    # unbiased: the mean over many small samples of one distribution is about 0 (a biased MMD would be > 0)
    small = [float(gan.kid(rng.normal(size=(20, 32)), rng.normal(size=(20, 32)))) for _ in range(200)]
    assert abs(np.mean(small)) < 3 * np.std(small) / np.sqrt(len(small))
    # in subsets (as Bińkowski et al. with 1000 of many more): the same verdicts
    assert abs(float(gan.kid(a, b, subset_size=100, subsets=20))) < 0.05
    assert float(gan.kid(a, shifted, subset_size=100, subsets=20)) > 0.05


def test_kid_reports_the_spread_over_subsets():
    rng = np.random.default_rng(2)
    a, shifted = rng.normal(size=(400, 16)), rng.normal(0.3, 1.0, size=(400, 16))
    score = gan.kid(a, shifted, subset_size=100, subsets=30, seed=5)
    assert isinstance(score, gan.KID) and score.subsets == 30 and score.subset_size == 100
    assert 0 < score.std < score.mean  # subsets of 100 differ, far less than the distance itself
    assert float(score) == score.mean
    # the subsets are drawn from the seed's "kid_subsets" stream: same seed, same draws; another seed, others
    assert gan.kid(a, shifted, subset_size=100, subsets=30, seed=5) == score
    assert gan.kid(a, shifted, subset_size=100, subsets=30, seed=6).mean != score.mean
    # on sets no larger than a subset, the mean is the estimate on all rows, the spread that of halves
    whole = gan.kid(a[:50], shifted[:60])
    assert whole.std > 0 and whole.subset_size == 30


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


def test_judge_is_chapter_6s_best_network_of_the_same_classes(tmp_path):
    inputs = keras.Input((40, 40, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(5, 3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(pooled))
    results.save_model(model, tmp_path / "dogs.keras")
    common = dict(dataset="synthetic", classes=3, resolution=40, model="mobilenet", model_args={}, params=1,
                  mult_adds=None, epochs=1, seconds=1.0, top5=None, history={}, profile="smoke", batch_size=4,
                  training={"family": "mobilenet"}, environment={}, class_names=["a", "b", "c"],
                  notebook="06_stanford_dogs", model_file="dogs.keras")  # fmt: skip
    results.write({**common, "id": "worse", "top1": 0.4}, tmp_path)
    results.write({**common, "id": "better", "top1": 0.6}, tmp_path)
    # competitors that must not win: another chapter, and other classes (a higher top-1 each)
    results.write({**common, "id": "other-chapter", "top1": 0.9, "notebook": "03_width"}, tmp_path)
    results.write({**common, "id": "four-classes", "top1": 0.95, "classes": 4,
                   "class_names": ["a", "b", "c", "d"]}, tmp_path)  # fmt: skip
    assert gan.judge(tmp_path / "empty", ["a", "b", "c"]) is None
    assert gan.judge(tmp_path, ["a", "c", "b"]) is None  # the same classes in another order are others
    judge = gan.judge(tmp_path, ["a", "b", "c"])
    assert (judge.source, judge.top1, judge.class_names, judge.resolution) == ("better", 0.6, ["a", "b", "c"], 40)
    images = np.random.default_rng(0).uniform(-1, 1, (5, 64, 64, 3)).astype("float32")
    probabilities = judge.predict(images)
    assert probabilities.shape == (5, 3)
    np.testing.assert_allclose(probabilities.sum(1), 1, rtol=1e-5)
    assert judge.features(images).shape == (5, 5)
    assert json.loads((tmp_path / "better.json").read_text())["model_file"] == "dogs.keras"


def test_label_smoothing_and_label_noise_move_the_targets():
    def model(**tricks):
        built = gan.DCGAN(gan.generator(4, 32, 2, seed=0), gan.discriminator(32, 2, seed=1), **tricks)
        built.compile(jit_compile=False)
        return built

    logits = tf.zeros([256, 1])
    plain = model()
    np.testing.assert_array_equal(plain.targets(logits, 1, 0), 1.0)
    np.testing.assert_array_equal(plain.targets(logits, 0, 1), 0.0)
    smooth = model(label_smoothing=0.1)  # one-sided: real targets 0.9, generated still 0
    np.testing.assert_allclose(smooth.targets(logits, 1, 0), 0.9)
    np.testing.assert_array_equal(smooth.targets(logits, 0, 1), 0.0)
    noisy = model(label_noise=0.2, seed=4)
    real, fake = noisy.targets(logits, 1, 0).numpy(), noisy.targets(logits, 0, 1).numpy()
    assert real.min() >= 0.8 and real.max() <= 1.0 and real.std() > 0.03  # moved towards 0, by up to 0.2
    assert fake.min() >= 0.0 and fake.max() <= 0.2 and fake.std() > 0.03  # moved towards 1
    np.testing.assert_array_equal(noisy.targets(logits, 1, 0), real)  # a function of the seed and the step
    noisy.d_optimizer.iterations.assign(1)
    assert not np.array_equal(noisy.targets(logits, 1, 0), real)  # the next step draws anew
    other = model(label_noise=0.2, seed=5)
    assert not np.array_equal(other.targets(logits, 1, 0), real)  # the seed matters
    # and the trick reaches the loss: one step of each from the same weights and batch differs
    batch = (tf.random.uniform([4, 32, 32, 3], -1, 1, seed=1), tf.random.normal([4, 4], seed=2))
    losses = [float(m.train_step(batch)["d_loss"]) for m in (model(), model(label_smoothing=0.3))]
    assert losses[1] != pytest.approx(losses[0], rel=1e-3)


def test_noise_streams_are_apart():
    z = gan.noise(0, "train", 8, 5, step=3)
    np.testing.assert_array_equal(z, gan.noise(0, "train", 8, 5, step=3))
    others = [gan.noise(0, "train", 8, 5, step=4), gan.noise(1, "train", 8, 5, step=3)]
    others += [gan.noise(0, purpose, 8, 5, step=3) for purpose in ("samples", "kid", "grid")]
    assert all(not np.allclose(z, other) for other in others)
    with pytest.raises(ValueError, match="purpose"):
        gan.noise(0, "shuffle", 8, 5)


def test_kid_probe_scores_a_generator_against_its_reference():
    network = gan.generator(4, 32, 2, seed=3)

    def features(images):
        return np.asarray(images).reshape(len(images), -1)[:, :16] * 10

    own = features(gan.generate(network, gan.noise(9, "samples", 300, 4)))
    probe = gan.KIDProbe(features, own, name="pixels", samples=200)
    same = probe.score(network, seed=0)
    assert isinstance(same, gan.KID) and abs(same.mean) < 3 * max(same.std, 1e-6)
    assert probe.score(network, seed=0) == same  # fixed noise: the same score
    far = gan.KIDProbe(features, own + 1.0, name="shifted", samples=200).score(network, seed=0)
    assert far.mean > 10 * max(abs(same.mean), same.std)


def _mark_checkpoint(folder, record):
    """A file in the run's checkpoint folder: gone after a run that starts from scratch."""
    marker = gan.line_folder(folder, results.configuration(record)) / "state" / "marker"
    marker.write_text("")
    return marker


def test_force_trains_again_from_scratch_and_sets_the_old_record_aside(tiny_images, tmp_path):
    first = _run(tiny_images, tmp_path, 1)
    marker = _mark_checkpoint(tmp_path, first)
    assert _run(tiny_images, tmp_path, 1)["created"] == first["created"] and marker.exists()  # reused
    again = _run(tiny_images, tmp_path, 1, force=True)
    assert not marker.exists()  # the checkpoint was not used: trained from scratch
    assert again["history"]["d_loss"] == pytest.approx(first["history"]["d_loss"], rel=1e-5)  # from the seed
    assert any("stale" in path.name for path in tmp_path.iterdir())


def test_a_record_of_other_code_is_set_aside_and_retrained(tiny_images, tmp_path, capsys):
    first = _run(tiny_images, tmp_path, 1)
    path = tmp_path / f"{first['id']}.json"
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "code_version": "an older one"}))
    marker = _mark_checkpoint(tmp_path, first)
    again = _run(tiny_images, tmp_path, 1)
    assert not marker.exists() and again["code_version"] == results.CODE_VERSION
    assert any("stale" in p.name for p in tmp_path.iterdir())
    assert "an older one" in capsys.readouterr().out  # one line says why


def test_a_diverged_run_stops_and_says_so(tiny_images, tmp_path, monkeypatch, capsys):
    class Diverging(gan.DCGAN):
        def train_step(self, data):
            super().train_step(data)
            self.trackers["g_loss"].update_state(float("nan"))  # as a NaN loss of this step would
            return {name: tracker.result() for name, tracker in self.trackers.items()}

    monkeypatch.setattr("mnlib.gan.training.DCGAN", Diverging)
    record = _run(tiny_images, tmp_path, 3)
    assert record["diverged"] is True and record["diverged_epoch"] == 1
    assert len(record["history"]["g_loss"]) == 1  # stopped after the first epoch
    assert "diverged in epoch 1" in capsys.readouterr().out


def test_settings_are_checked_and_filled_from_the_profile(tmp_path):
    smoke = gan.gan_settings(profile="smoke", results_dir=tmp_path)
    assert (smoke.dataset, smoke.width, smoke.classes) == ("synthetic", 16, 10)
    assert gan.gan_settings(profile="full", results_dir=tmp_path).augmentation_seeds >= 3
    with pytest.raises(ValueError, match="label_noise"):
        dataclasses.replace(smoke, label_noise=0.5)
    with pytest.raises(ValueError, match="epochs"):
        dataclasses.replace(smoke, epochs=0)
    with pytest.raises(TypeError, match="no field"):
        gan.gan_settings(profile="smoke", epoch=3)


def test_jpeg_is_small_and_closes_the_figure():
    # IPython comes with Jupyter and Colab, where the chapter shows the picture;
    # the environment of Colab's pins here installs mnlib and pytest only.
    pytest.importorskip("IPython")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.imshow(np.random.default_rng(0).uniform(size=(64, 64, 3)))
    picture = gan.jpeg(fig)
    assert picture.data[:2] == b"\xff\xd8" and picture.format == "jpeg"
    assert not plt.fignum_exists(fig.number)


def test_compare_trains_three_arms_on_the_same_real_images(tiny_images, tmp_path):
    from mnlib.gan import augmentation

    root = tmp_path / "dogs"
    data.synthetic("stanford-dogs", root, classes=2, images_per_class=8, eval_images_per_class=3, quirks=False)
    train, _ = data.stanford_dogs(root, "train")
    val, _ = data.stanford_dogs(root, "test")
    white = np.full((6, 32, 32, 3), 255, np.uint8)
    # one epoch of the pooled stream: every real image once and every generated one once, no more
    epoch = list(augmentation._pooled(train, white, np.zeros(6, np.int32), 0, 0, 32).take(len(train) + 6))
    assert sum(float(np.min(x)) > 0.5 for x, _ in epoch) == 6
    judge = gan.Classifier(keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                                             keras.layers.Dense(2, activation="softmax")]), ["a", "b"], 32)  # fmt: skip
    generator = gan.generator(4, 32, 2, seed=0)
    found = gan.compare(train, val, generator, judge, epochs=1, batch_size=8, results_dir=tmp_path)
    assert found["generated"] == len(train) == 16  # as many generated images as real ones
    assert found["steps"] == {"real": 2, "real + generated": 4, "real, as many steps": 4}
    (run,) = found["seeds"]
    for arm in gan.ARMS:
        assert len(run[arm]["correct"]) == len(val) == found["test_images"]
        assert run[arm]["top1"] == pytest.approx(np.mean(run[arm]["correct"]))
    assert sum(found["labels"]) == 16
    assert gan.compare(train, val, generator, judge, epochs=1, batch_size=8, results_dir=tmp_path) == found


def test_a_judges_view_of_a_split_streams_it_in_the_loaders_order(tiny_images):
    inputs = keras.Input((32, 32, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs))
    judge = gan.Classifier(keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(pooled)), ["a", "b"], 32)
    view = judge.view(tiny_images, 32, batch_size=5)  # batches that do not divide the 16 images
    everything = np.concatenate([x for x, _ in data.pipeline(tiny_images, resolution=32, shuffle=False)])
    assert view.features.shape == (16, 4) and view.probabilities.shape == (16, 2)
    np.testing.assert_array_equal(view.labels, tiny_images.files.labels)
    np.testing.assert_allclose(view.features, judge.features(everything), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(view.correct, view.probabilities.argmax(1) == view.labels)
    picked = gan.images_at(tiny_images, [11, 0, 11, 6], 32, batch_size=5)
    np.testing.assert_array_equal(picked, everything[[11, 0, 11, 6]])
