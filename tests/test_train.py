"""The training harness: it learns, resumes after an interruption, records, refuses bad parameters."""

import json
import math

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import keras
import numpy as np
import pytest
import tensorflow as tf

from mnlib import costs, data, device, models, results, train
from mnlib.train import experiment, phases, settings

RESOLUTION = 32
CLASSES = 4


def stand_in(examples=128, seed=0, batch_size=32):
    """Batched ``(float32 [B, 32, 32, 3], int32 [B])``: noise, plus a bright
    quadrant that says the class (4 classes). Learnable in a few steps."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, examples).astype("int32")
    images = rng.normal(0.0, 0.5, (examples, RESOLUTION, RESOLUTION, 3)).astype("float32")
    half = RESOLUTION // 2
    for image, label in zip(images, labels):
        row, col = divmod(int(label), 2)
        image[row * half : (row + 1) * half, col * half : (col + 1) * half] += 1.0
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)


def small_mobilenet(seed=0, classes=CLASSES):
    """α = 0.25 at 32 px: the smallest MobileNet of the course."""
    keras.utils.set_random_seed(seed)
    return models.mobilenet(alpha=0.25, input_shape=(RESOLUTION, RESOLUTION, 3), classes=classes)


def tiny_cnn(input_shape=(RESOLUTION, RESOLUTION, 3), classes=CLASSES, seed=0):
    """A depthwise separable block and a classifier: quick to compile, with
    batch norm and an optimizer state to back up like MobileNet's."""
    keras.utils.set_random_seed(seed)
    x = inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(8, 3, strides=2, use_bias=False)(x)
    x = keras.layers.ReLU(6.0)(keras.layers.BatchNormalization()(x))
    x = keras.layers.DepthwiseConv2D(3, use_bias=False)(x)
    x = keras.layers.ReLU(6.0)(keras.layers.BatchNormalization()(x))
    x = keras.layers.Conv2D(16, 1, use_bias=False)(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.BatchNormalization()(x))
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x), name="tiny_cnn")


class Interrupt(keras.callbacks.Callback):
    """Stands for a disconnect: raises when epoch ``at`` (0-based) would begin."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise RuntimeError("disconnected")


class Watch(keras.callbacks.Callback):
    """Notes the epochs that begin, and the state the first one begins from."""

    def __init__(self):
        super().__init__()
        self.epochs = []
        self.first = None

    def on_epoch_begin(self, epoch, logs=None):
        if not self.epochs:
            self.first = {
                "weights": [w.copy() for w in self.model.get_weights()],
                "iterations": int(self.model.optimizer.iterations.numpy()),
            }
        self.epochs.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self.last_weights = [w.copy() for w in self.model.get_weights()]


def test_small_mobilenet_learns_a_stand_in():
    model = small_mobilenet(seed=0)
    # 4 epochs of 8 steps, the default optimizer (Adam) and schedule
    history, seconds = train.fit(model, stand_in(256), stand_in(64, seed=1), epochs=4, verbose=0)

    assert set(history) >= {"loss", "top1", "val_loss", "val_top1", "learning_rate", "seconds"}
    assert all(len(values) == 4 for values in history.values())
    assert "top5" not in history  # 4 classes: top-5 would always be 100%
    chance = 1 / CLASSES
    assert history["top1"][-1] > chance + 0.3, history["top1"]
    assert history["loss"][-1] < 0.6 * history["loss"][0], history["loss"]
    scores = train.evaluate(model, stand_in(64, seed=1))
    assert scores["examples"] == 64 and scores["top5"] is None
    assert scores["top1"] == pytest.approx(history["val_top1"][-1])  # the same weights and statistics
    # warm-up, then the cosine schedule ends at (almost) zero
    assert history["learning_rate"][-1] < 0.01 * train.LEARNING_RATES["adam"]
    assert seconds == pytest.approx(sum(history["seconds"]))


def test_interrupted_run_resumes_from_its_backup(tmp_path):
    data = stand_in(64)  # 2 steps per epoch
    backup = tmp_path / "backup"
    options = dict(epochs=4, backup_dir=backup, recalibrate=0, verbose=0)

    first = Watch()
    with pytest.raises(RuntimeError, match="disconnected"):
        train.fit(tiny_cnn(seed=0), data, None, callbacks=[first, Interrupt(at=2)], **options)
    assert first.epochs == [0, 1, 2]
    assert backup.is_dir()  # left for the next session

    # A new session: a new model (other initial weights), the same backup.
    second = Watch()
    history, seconds = train.fit(tiny_cnn(seed=1), data, None, callbacks=[second], **options)

    assert second.epochs == [2, 3]  # resumed at epoch 2, not 0
    assert second.first["iterations"] == 2 * 2  # optimizer state restored: 2 epochs of 2 steps
    for restored, saved in zip(second.first["weights"], first.last_weights):
        np.testing.assert_array_equal(restored, saved)
    assert len(history["loss"]) == 4  # the history of both sessions
    assert seconds == pytest.approx(sum(history["seconds"]))
    assert not backup.exists()  # deleted once the run is complete


def test_a_backup_of_other_settings_is_set_aside_not_resumed(tmp_path):
    batches = stand_in(32)
    backup = tmp_path / "backup"
    with pytest.raises(RuntimeError, match="disconnected"):
        train.fit(tiny_cnn(), batches, epochs=3, backup_dir=backup, recalibrate=0, verbose=0,
                  callbacks=[Interrupt(at=1)])  # fmt: skip
    watch = Watch()
    with pytest.warns(UserWarning, match="other settings"):
        train.fit(tiny_cnn(), batches, epochs=2, backup_dir=backup, recalibrate=0, verbose=0, callbacks=[watch])
    assert watch.epochs == [0, 1]
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("backup.set-aside-")]
    assert len(aside) == 1 and (aside[0] / "settings.json").is_file()  # kept, not deleted


def test_a_backup_whose_settings_cannot_be_read_is_kept_aside(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "settings.json").write_text("{not json")
    (backup / "latest.weights.h5").write_bytes(b"someone's weights")
    with pytest.warns(UserWarning, match="cannot be read"):
        train.fit(tiny_cnn(), stand_in(32), epochs=1, backup_dir=backup, recalibrate=0, verbose=0)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("backup.set-aside-")]
    assert (aside[0] / "latest.weights.h5").read_bytes() == b"someone's weights"


def test_the_backup_identity_includes_seed_augmentation_and_preprocessing(tmp_path):
    backup = tmp_path / "backup"
    settings = {"seed": 0, "augment": True, "family": "mobilenet"}
    with pytest.raises(RuntimeError, match="disconnected"):
        train.fit(tiny_cnn(), stand_in(32), epochs=2, backup_dir=backup, recalibrate=0, verbose=0,
                  data_settings=settings, callbacks=[Interrupt(at=1)])  # fmt: skip
    for change in ({"seed": 1}, {"augment": False}, {"family": "vgg16"}):
        watch = Watch()
        with pytest.warns(UserWarning, match="other settings"):
            with pytest.raises(RuntimeError, match="disconnected"):
                train.fit(tiny_cnn(), stand_in(32), epochs=2, backup_dir=backup, recalibrate=0, verbose=0,
                          data_settings=settings | change, callbacks=[watch, Interrupt(at=1)])  # fmt: skip
        assert watch.epochs[0] == 0  # started afresh
        settings = settings | change


def run_options(tmp_path, **changes):
    options = dict(
        notebook="test-notebook",
        dataset="synthetic",
        classes=CLASSES,
        resolution=RESOLUTION,
        epochs=2,
        model="mobilenet",
        model_args={"alpha": 0.25},
        results_dir=tmp_path,
        verbose=0,
    )
    options.update(changes)
    return options


def test_run_writes_its_record_and_reuses_it(tmp_path, monkeypatch):
    record = train.run(stand_in(64), stand_in(32, seed=1), **run_options(tmp_path))

    expected = models.mobilenet(alpha=0.25, input_shape=(RESOLUTION, RESOLUTION, 3), classes=CLASSES)
    assert record["params"] == expected.count_params()
    moving = sum(2 * layer.moving_mean.shape[0] for layer in expected.layers
                 if isinstance(layer, keras.layers.BatchNormalization))  # fmt: skip
    assert record["params"] - record["trainable_params"] == moving  # the statistics do not train
    assert record["mult_adds"] == int(costs.model_cost(expected)["mult_adds"].sum()) > 0
    assert record["epochs"] == 2 and len(record["history"]["loss"]) == 2
    assert record["top5"] is None and record["seconds"] > 0 and record["inference_images_per_second"] > 0
    assert record["batch_size"] == 32  # the batches given, not the default
    assert record["model_args"] == {"alpha": 0.25} and record["profile"] == "smoke"
    assert record["environment"]["tensorflow"] == tf.__version__
    assert record["environment"]["mixed_precision"] == device.accelerator().mixed_precision

    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"{record['id']}.json"]  # the backup is gone, only the record is left
    on_disk = json.loads((tmp_path / files[0]).read_text())
    assert on_disk["top1"] == record["top1"]
    assert results.load(tmp_path)["alpha"].tolist() == [0.25]

    # Asked again with the same configuration, from another chapter: the saved record, no training.
    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(phases, "fit", no_training)
    again = train.run(stand_in(64), stand_in(32, seed=1), **run_options(tmp_path, notebook="another chapter"))
    assert again["top1"] == record["top1"] and again["created"] == record["created"]

    # Another configuration (more epochs, another seed) or force=True: it trains, into another record.
    for changes in ({"epochs": 3}, {"seed": 1}, {"force": True}):
        with pytest.raises(AssertionError, match="trained again"):
            train.run(stand_in(64), stand_in(32, seed=1), **run_options(tmp_path, **changes))


def test_run_resumes_an_interrupted_experiment(tmp_path, monkeypatch):
    real_fit = train.fit
    sessions = []

    def fit_with_a_disconnect(*args, **kwargs):
        watch = Watch()
        extra = [watch] if sessions else [watch, Interrupt(at=1)]
        sessions.append(watch)
        return real_fit(*args, callbacks=extra, **kwargs)

    monkeypatch.setattr(phases, "fit", fit_with_a_disconnect)
    batches, val = stand_in(32), stand_in(32, seed=1)
    options = run_options(tmp_path, model=tiny_cnn, model_args={})
    with pytest.raises(RuntimeError, match="disconnected"):
        train.run(batches, val, **options)
    assert list(tmp_path.glob("*.json")) == []  # no record for an unfinished run
    assert len(list((tmp_path / "backup").iterdir())) == 1

    record = train.run(batches, val, **options)
    assert sessions[1].epochs == [1]  # the second session trained only the last epoch
    assert record["epochs"] == 2 and len(record["history"]["top1"]) == 2
    assert record["model"] == "tiny_cnn"
    assert not (tmp_path / "backup").exists()


@pytest.fixture(scope="module")
def small_stand_in(tmp_path_factory):
    root = data.synthetic(
        "tiny-imagenet",
        tmp_path_factory.mktemp("s") / "tiny",
        classes=4,
        images_per_class=24,
        eval_images_per_class=6,
        quirks=False,
    )
    return data.tiny_imagenet(root, "train")[0], data.tiny_imagenet(root, "val")[0]


def test_a_resumed_run_gives_the_record_of_an_uninterrupted_one(tmp_path, monkeypatch, small_stand_in):
    """Data order and augmentation come from (seed, epoch): an interruption changes nothing."""
    train_files, val_files = small_stand_in
    options = run_options(tmp_path, model=tiny_cnn, model_args={}, epochs=3, batch_size=16, recalibrate=2)
    tf.config.experimental.enable_op_determinism()
    try:
        whole = train.run(train_files, val_files, **(options | {"results_dir": tmp_path / "whole"}))
        real_fit = train.fit
        monkeypatch.setattr(phases, "fit", lambda *a, **k: real_fit(*a, callbacks=[Interrupt(at=2)], **k))
        with pytest.raises(RuntimeError, match="disconnected"):
            train.run(train_files, val_files, **(options | {"results_dir": tmp_path / "cut"}))
        monkeypatch.setattr(phases, "fit", real_fit)
        resumed = train.run(train_files, val_files, **(options | {"results_dir": tmp_path / "cut"}))
    finally:
        if hasattr(tf.config.experimental, "disable_op_determinism"):
            tf.config.experimental.disable_op_determinism()
    assert resumed["id"] == whole["id"]
    for metric in ("loss", "top1", "val_loss", "val_top1", "learning_rate"):
        np.testing.assert_allclose(resumed["history"][metric], whole["history"][metric], rtol=1e-5, err_msg=metric)
    assert resumed["top1"] == pytest.approx(whole["top1"])


BAD = [
    ({"model_args": {"alpha": 1.5}}, "alpha"),
    ({"model_args": {"alpha": 0}}, "alpha"),
    ({"model_args": {"alpha": 0.5, "classes": 10}}, "classes"),
    ({"resolution": 16}, "resolution"),
    ({"dataset": "imagenet"}, "tiny-imagenet"),  # says what is allowed
    ({"classes": 1}, "classes"),
    ({"epochs": 0}, "epochs"),
    ({"model": "resnet50"}, "builder"),
    ({"optimizer": "lbfgs"}, "adam"),
    ({"learning_rate": -0.1}, "learning_rate"),
    ({"profile": "quick"}, "smoke"),
    ({"notebook": ""}, "notebook"),
]


@pytest.mark.parametrize(("changes", "words"), BAD, ids=[str(c) for c, _ in BAD])
def test_bad_parameters_fail_before_training(tmp_path, monkeypatch, changes, words):
    def must_not_run(*args, **kwargs):
        raise AssertionError("started before checking its parameters")

    monkeypatch.setattr(experiment, "_build", must_not_run)
    monkeypatch.setattr(phases, "fit", must_not_run)
    results_dir = tmp_path / "results"
    with pytest.raises(ValueError, match=words):
        train.run(stand_in(32), stand_in(32), **run_options(results_dir, **changes))
    assert not results_dir.exists()  # nothing written


def test_datasets_of_the_wrong_kind_are_refused(tmp_path):
    with pytest.raises(TypeError, match="loader's dataset"):
        train.run(np.zeros((4, 32, 32, 3)), stand_in(32), **run_options(tmp_path))
    with pytest.raises(ValueError, match="loader's dataset"):  # unbatched, and not a loader's
        train.run(stand_in(32).unbatch(), stand_in(32), **run_options(tmp_path))
    with pytest.raises(ValueError, match="resolution"):
        train.run(stand_in(32), stand_in(32), **run_options(tmp_path, resolution=64))


def test_schedule_warms_up_then_decays_to_zero():
    schedule = train.WarmupCosine(peak=0.1, total_steps=110, warmup_steps=10)
    value = lambda step: float(schedule(step))  # noqa: E731
    assert value(0) == pytest.approx(0.01)  # 1/10 of the peak on the first step
    assert value(9) == pytest.approx(0.1)  # the peak at the end of the warm-up
    assert value(60) == pytest.approx(0.05)  # half-way through the cosine
    assert value(110) == pytest.approx(0.0, abs=1e-9)
    assert value(500) == pytest.approx(0.0, abs=1e-9)
    steps = [value(s) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(steps, steps[1:]))


def test_evaluate_counts_ties_as_chance_not_as_hits():
    uniform = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, kernel_initializer="zeros")])
    uniform.add(keras.layers.Softmax())  # every class equally likely
    labels = np.arange(8, dtype="int32").repeat(4)
    data = tf.data.Dataset.from_tensor_slices((np.zeros((32, 2), "float32"), labels)).batch(16)
    scores = train.evaluate(uniform, data)
    assert scores["top1"] == pytest.approx(1 / 8)
    assert scores["top5"] == pytest.approx(5 / 8)
    assert scores["loss"] == pytest.approx(math.log(8), rel=1e-5)


@pytest.mark.parametrize("nested", [False, True])
def test_recalibrating_batch_norm_measures_the_data(nested):
    inputs = keras.Input((3,))
    normalised = keras.layers.BatchNormalization()(keras.layers.Dense(3, kernel_initializer="identity")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(normalised))
    if nested:  # a model inside a model, as in transfer learning
        model = keras.Sequential([keras.Input((3,)), model])
    rng = np.random.default_rng(0)
    x = rng.normal([5.0, -2.0, 0.0], [2.0, 0.5, 1.0], (512, 3)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, np.zeros(512, "int32"))).batch(64)
    weights = [w.numpy().copy() for w in model.trainable_weights]

    assert train.recalibrate_batch_norm(model, data, batches=8) == 1
    inner = model.layers[0] if nested else model
    norm = next(layer for layer in inner.layers if isinstance(layer, keras.layers.BatchNormalization))
    np.testing.assert_allclose(norm.moving_mean.numpy(), x.mean(0), atol=0.05)
    np.testing.assert_allclose(norm.moving_variance.numpy(), x.var(0), rtol=0.05)
    for before, after in zip(weights, model.trainable_weights):
        np.testing.assert_array_equal(before, after.numpy())


def test_weight_decay_spares_depthwise_filters_batch_norm_and_biases():
    model = tiny_cnn()
    optimizer = train.make_optimizer("sgd", 0.1, total_steps=100, warmup_steps=0, weight_decay=0.5, model=model)
    owners = [(layer, w) for layer in model.layers for w in layer.trainable_weights]
    variables = [w for _, w in owners]
    before = [v.numpy().copy() for v in variables]
    optimizer.apply([tf.zeros_like(v) for v in variables], variables)  # decay alone
    decayed, spared = [], []
    for (layer, variable), old in zip(owners, before):
        name = f"{type(layer).__name__}/{variable.name.split('/')[-1]}"
        (spared if np.array_equal(variable.numpy(), old) else decayed).append(name)
    assert sorted(decayed) == ["Conv2D/kernel", "Conv2D/kernel", "Dense/kernel"], decayed
    assert sorted(set(spared)) == [
        "BatchNormalization/beta",
        "BatchNormalization/gamma",
        "Dense/bias",
        "DepthwiseConv2D/kernel",
    ]


def test_mixed_precision_and_xla_run_and_are_recorded(tmp_path):
    policy = keras.mixed_precision.global_policy().name
    options = run_options(tmp_path, model=tiny_cnn, model_args={}, epochs=1)
    record = train.run(stand_in(32), stand_in(32, seed=1), mixed_precision=True, jit_compile=True, **options)
    assert record["environment"]["mixed_precision"] is True
    assert record["environment"]["xla"] is True
    assert 0.0 <= record["top1"] <= 1.0 and math.isfinite(record["history"]["loss"][0])
    assert keras.mixed_precision.global_policy().name == policy  # left as it was


@pytest.mark.parametrize(("changes", "words"), BAD, ids=[str(c) for c, _ in BAD])
def test_check_validates_a_grid_without_training(tmp_path, changes, words):
    options = run_options(tmp_path / "results", **changes)
    with pytest.raises(ValueError, match=words):
        train.check(**options)
    train.check(**run_options(tmp_path / "results"))  # the good configuration passes
    with pytest.raises(TypeError, match="widths"):
        train.check(**run_options(tmp_path / "results"), widths=[1.0])
    assert not (tmp_path / "results").exists()


def test_study_settings_fill_in_the_profile():
    smoke = train.study_settings(profile="smoke")
    assert (smoke.dataset, smoke.epochs, smoke.batch_size) == ("synthetic", 4, 32)
    assert "synthetic stand-in" in smoke.caption
    full = train.study_settings(profile="full", epochs=7, results_dir="/tmp/r")
    assert (full.dataset, full.epochs, str(full.results_dir), full.caption) == ("tiny-imagenet", 7, "/tmp/r", "")
    with pytest.raises(ValueError, match="smoke"):
        train.study_settings(profile="quick")
    with pytest.raises(ValueError, match="DATASET"):
        train.study_settings(profile="smoke", dataset="imagenet")


def test_study_settings_take_keywords_only():
    with pytest.raises(TypeError):
        train.study_settings("smoke")


def test_device_notice_names_where_training_runs(monkeypatch):
    found = device.accelerator()
    notice = train.device_notice()
    assert found.name in notice and notice.count("\n") == 0  # the card's own name, whatever it is
    assert ("no GPU found" in notice) != found.gpu
    card = device.describe({"device_name": "NVIDIA H100 80GB HBM3", "compute_capability": (9, 0)})
    monkeypatch.setattr(settings, "accelerator", lambda: card)
    assert train.device_notice() == "Training on the GPU NVIDIA H100 80GB HBM3."


def test_evaluate_gives_each_images_correctness_in_the_datasets_order():
    always_zero = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, kernel_initializer="zeros")])
    always_zero.layers[0].bias.assign([5.0, 0.0, 0.0, 0.0])
    always_zero.add(keras.layers.Softmax())  # class 0 for every image
    labels = np.array([0, 1, 0, 3, 2, 0, 0, 1, 3], "int32")
    data = tf.data.Dataset.from_tensor_slices((np.zeros((9, 2), "float32"), labels)).batch(4)  # 4 + 4 + 1
    scores = train.evaluate(always_zero, data)
    np.testing.assert_array_equal(scores["correct"], labels == 0)
    assert scores["correct"].dtype == bool and scores["top1"] == pytest.approx(4 / 9)


class Poison(keras.callbacks.Callback):
    """Sets every weight to NaN when epoch ``at`` (0-based) begins: the loss diverges there."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])


def test_a_nan_loss_stops_training_at_once_naming_the_epoch(tmp_path):
    steps = []
    counter = keras.callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: steps.append(batch))
    with pytest.raises(train.Diverged, match="epoch 2.*learning rate.*warm-up.*scaled") as caught:
        train.fit(tiny_cnn(), stand_in(64), epochs=4, recalibrate=0, verbose=0, callbacks=[Poison(at=1), counter])
    assert caught.value.epoch == 2 and not math.isfinite(caught.value.loss)
    assert len(steps) == 2 + 1  # epoch 1's two batches, then the first of epoch 2: stopped at once
    assert len(caught.value.history["loss"]) == 1  # the epoch done before


def test_a_diverged_run_is_recorded_as_diverged_without_accuracy(tmp_path, monkeypatch, capsys):
    real_fit = train.fit
    monkeypatch.setattr(phases, "fit", lambda *a, callbacks=(), **k: real_fit(*a, callbacks=[Poison(at=1)], **k))
    options = run_options(tmp_path, model=tiny_cnn, model_args={}, verbose=2)
    record = train.run(stand_in(32), stand_in(32, seed=1), **options)
    assert record["diverged"] is True and record["diverged_epoch"] == 2
    assert record["top1"] is None and record["top5"] is None and len(record["history"]["loss"]) == 1
    assert "Training diverged in epoch 2" in capsys.readouterr().out
    assert not (tmp_path / "backup").exists()


def test_run_records_which_validation_images_it_got_right(tmp_path):
    record = train.run(stand_in(64), stand_in(40, seed=1), **run_options(tmp_path, model=tiny_cnn, model_args={}))
    correct = results.correct(record)
    assert correct.shape == (40,) and correct.mean() == pytest.approx(record["top1"])
    assert record["diverged"] is False


def test_a_stale_record_is_set_aside_and_trained_again(tmp_path, capsys):
    options = run_options(tmp_path, model=tiny_cnn, model_args={}, epochs=1, save_model=True)
    record = train.run(stand_in(32), stand_in(32, seed=1), **options)
    assert (tmp_path / record["model_file"]).is_file()
    (tmp_path / record["model_file"]).write_bytes(b"cut off while saving")
    capsys.readouterr()
    again = train.run(stand_in(32), stand_in(32, seed=1), **options)
    said = capsys.readouterr().out
    assert "Set aside" in said and record["model_file"] in said  # one line says why
    assert again["created"] != record["created"] and (tmp_path / again["model_file"]).is_file()
    assert len(list(tmp_path.glob(f"{record['id']}.json.stale-*"))) == 1


def test_force_trains_from_scratch_keeping_the_old_record_aside(tmp_path, monkeypatch):
    options = run_options(tmp_path, model=tiny_cnn, model_args={}, epochs=1)
    record = train.run(stand_in(32), stand_in(32, seed=1), **options)
    calls = []
    real_fit = train.fit
    monkeypatch.setattr(phases, "fit", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    again = train.run(stand_in(32), stand_in(32, seed=1), force=True, **options)
    assert calls == [1] and again["id"] == record["id"] and again["created"] != record["created"]
    assert len(list(tmp_path.glob(f"{record['id']}.json.stale-*"))) == 1


def test_fine_tuning_starts_from_the_saved_frozen_run(tmp_path, monkeypatch):
    keras.utils.set_random_seed(0)
    body = models.mobilenet(alpha=0.25, input_shape=(RESOLUTION, RESOLUTION, 3), include_top=False)
    body.save_weights(tmp_path / "body.weights.h5")  # stands for ImageNet weights
    real_fit, fits = train.fit, []
    monkeypatch.setattr(phases, "fit", lambda *a, **k: fits.append(k["epochs"]) or real_fit(*a, **k))
    pretrained = {"alpha": 0.25, "weights": str(tmp_path / "body.weights.h5")}
    options = run_options(tmp_path / "results", model_args=pretrained, epochs=1, recalibrate=0)
    tuned = train.run(stand_in(32), stand_in(32, seed=1), fine_tune={"epochs": 2, "layers": 3}, **options)
    frozen = train.run(stand_in(32), stand_in(32, seed=1), **options)  # found, not trained again
    assert fits == [1, 2] and frozen["model_file"] and "fine_tune" not in frozen["training"]
    assert tuned["history"]["loss"][:1] == frozen["history"]["loss"] and tuned["phases"][0] == frozen["phases"][0]
    other = train.run(stand_in(32), stand_in(32, seed=1), fine_tune={"epochs": 1, "layers": 6}, **options)
    assert fits == [1, 2, 1]  # another fine-tuning of the same frozen run: only its own phase trains
    assert other["history"]["phase"] == ["frozen base", "fine-tune"]


def test_run_leaves_the_global_random_state_as_it_was(tmp_path):
    import random

    random.seed(5)
    np.random.seed(5)
    expected = (random.random(), np.random.random())
    random.seed(5)
    np.random.seed(5)
    first = train.run(stand_in(32), stand_in(32, seed=1), **run_options(tmp_path / "a", epochs=1))
    assert (random.random(), np.random.random()) == expected
    again = train.run(stand_in(32), stand_in(32, seed=1), **run_options(tmp_path / "b", epochs=1))
    assert again["history"]["loss"] == pytest.approx(first["history"]["loss"])  # the seed alone decides
