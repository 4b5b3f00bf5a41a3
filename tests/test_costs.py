"""mnlib.costs: the closed forms, the layer counter, and the paper's figures."""

import pytest

import mnlib  # noqa: F401
import keras
from mnlib import costs
from mnlib.models import mobilenet


def test_closed_forms_table_3():
    # The paper's Table 3: one layer, D_K = 3, M = N = 512, D_F = 14.
    full = costs.standard_conv(3, 512, 512, 14)
    separable = costs.separable_conv(3, 512, 512, 14)
    thin = costs.separable_conv(3, 512, 512, 14, alpha=0.75)
    small = costs.separable_conv(3, 512, 512, 14, alpha=0.75, rho=10 / 14)
    assert [round(c.mult_adds / 1e6, 1) for c in (full, separable, thin, small)] == [462.4, 52.3, 29.6, 15.1]
    assert [round(c.params / 1e6, 2) for c in (full, separable, thin, small)] == [2.36, 0.27, 0.15, 0.15]


@pytest.mark.parametrize("kernel, m, n, f", [(3, 32, 64, 112), (5, 7, 11, 3), (3, 512, 512, 14)])
def test_separable_ratio_is_1_over_n_plus_1_over_dk_squared(kernel, m, n, f):
    ratio = costs.separable_conv(kernel, m, n, f).mult_adds / costs.standard_conv(kernel, m, n, f).mult_adds
    assert ratio == pytest.approx(costs.separable_ratio(kernel, n))
    assert ratio == pytest.approx(1 / n + 1 / kernel**2)
    assert ratio != pytest.approx(1 / n + 1 / n**2)  # the report's formula


def test_closed_forms_match_the_counter_layer_by_layer():
    cost = costs.model_cost(mobilenet(alpha=0.5, input_shape=(160, 160, 3))).set_index("layer")
    # Block 4: depthwise stride 2 from 40x40x64 to 20x20, pointwise 64 -> 128.
    assert cost.loc["conv_dw_4", "mult_adds"] == costs.depthwise_conv(3, 64, 20).mult_adds
    assert cost.loc["conv_pw_4", "mult_adds"] == costs.pointwise_conv(64, 128, 20).mult_adds
    assert cost.loc["conv1", "mult_adds"] == costs.standard_conv(3, 3, 16, 80).mult_adds


@pytest.mark.parametrize(
    "alpha, size, shallow, mult_adds, params",
    [
        (1.0, 224, False, 569, 4.2),
        (0.75, 224, False, 325, 2.6),
        (0.5, 224, False, 149, 1.3),
        (0.25, 224, False, 41, 0.5),
        (1.0, 192, False, 418, 4.2),
        (1.0, 160, False, 290, 4.2),  # 290.7: the paper rounds down
        (1.0, 128, False, 186, 4.2),
        (1.0, 224, True, 307, 2.9),
    ],
)
def test_paper_tables_4_to_7(alpha, size, shallow, mult_adds, params):
    model = mobilenet(alpha=alpha, input_shape=(size, size, 3), shallow=shallow)
    cost = costs.model_cost(model)
    assert cost["params"].sum() == model.count_params()
    assert abs(cost["mult_adds"].sum() / 1e6 - mult_adds) < 1
    # "Parameters" in the paper: the weights of the convolutions and of the classifier.
    assert round(cost["kernel_params"].sum() / 1e6, 1) == params


@pytest.mark.parametrize(
    "alpha, params", [(1.0, 3_228_864), (0.75, 1_832_976), (0.5, 829_536), (0.25, 218_544)]
)
def test_report_parameter_column_is_the_body_without_classifier(alpha, params):
    model = mobilenet(alpha=alpha, input_shape=(64, 64, 3), include_top=False)
    assert costs.model_cost(model)["params"].sum() == params == model.count_params()


def test_table_2_shares():
    table = costs.cost_by_kind(costs.model_cost(mobilenet()))
    assert table["mult_adds_%"].round(2).tolist() == [94.86, 3.06, 1.91, 0.18]
    assert table["params_%"].round(2).tolist() == [74.59, 1.06, 0.02, 24.33]


def test_counter_agrees_with_tensorflow_profiler():
    model = mobilenet(alpha=0.5, input_shape=(128, 128, 3), classes=10)
    cost = costs.model_cost(model)
    flops = costs.profiler_flops(model)
    by_type = cost.groupby("type")["mult_adds"].sum()
    assert flops["Conv2D"] == 2 * by_type["Conv2D"]
    assert flops["DepthwiseConv2dNative"] == 2 * by_type["DepthwiseConv2D"]


def test_counter_handles_dense_nested_models_and_refuses_unknown_layers():
    inner = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, padding="same")], name="inner")
    outer = keras.Sequential([keras.Input((8, 8, 3)), inner, keras.layers.Flatten(), keras.layers.Dense(5)])
    cost = costs.model_cost(outer).set_index("layer")
    assert cost.loc["inner/" + inner.layers[0].name, "mult_adds"] == 3 * 3 * 3 * 4 * 64
    assert cost["mult_adds"].sum() == 3 * 3 * 3 * 4 * 64 + 8 * 8 * 4 * 5
    assert cost["params"].sum() == outer.count_params()

    unknown = keras.Sequential([keras.Input((4,)), keras.layers.Embedding(10, 3)])
    with pytest.raises(NotImplementedError, match="Embedding"):
        costs.model_cost(unknown)
