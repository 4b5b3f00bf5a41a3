"""The device question: one answer for training, the GAN and the records, on a CPU or a named GPU."""

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import tensorflow as tf

from mnlib import device


def test_no_gpu_means_cpu_without_mixed_precision_or_xla():
    cpu = device.describe(None)
    assert (cpu.name, cpu.gpu, cpu.mixed_precision, cpu.xla) == ("CPU", False, False, False)


def test_a_gpu_is_named_by_its_driver_and_mixed_precision_needs_tensor_cores():
    h100 = device.describe({"device_name": "NVIDIA H100 80GB HBM3", "compute_capability": (9, 0)})
    assert (h100.name, h100.gpu, h100.mixed_precision, h100.xla) == ("NVIDIA H100 80GB HBM3", True, True, True)
    k80 = device.describe({"device_name": "Tesla K80", "compute_capability": (3, 7)})
    assert (k80.mixed_precision, k80.xla) == (False, True)
    assert device.describe({"compute_capability": (7, 0)}).mixed_precision
    assert device.describe({}).name == "GPU" and not device.describe({}).mixed_precision


def test_choose_keeps_what_the_caller_asked_and_fills_in_the_rest():
    h100 = device.describe({"device_name": "H100", "compute_capability": (9, 0)})
    assert h100.choose() == (True, True)
    assert h100.choose(mixed_precision=False) == (False, True)
    assert device.describe(None).choose(jit_compile=True) == (False, True)


def test_this_machine_is_described_as_tensorflow_sees_it():
    found = device.accelerator()
    assert found.gpu == bool(tf.config.list_physical_devices("GPU"))
    assert found.name and (found.name != "CPU") == found.gpu
