"""Tests for lossdash/losses.py: every test runs over every loss in the registry."""

import re

import numpy as np
import pytest

from lossdash import losses
from lossdash.losses import REGISTRY
from tests.helpers import need

ALL = list(REGISTRY)
ONE_OUTPUT = [name for name, cls in REGISTRY.items() if cls.name != "cross_entropy"]
N, K = 8, 3  # samples per batch, classes for cross_entropy


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


def make_case(name, seed=0, lead=(), n=N):
    """Random ``(y, output)`` for a loss, with every point well away from a kink.

    Kinks: |r| = 0 (mae, huber's second derivative), |r| = delta = 1 (huber), margin
    s z = 1 (hinge). Residuals are drawn from +-[0.1, 0.9] or +-[1.1, 3], margins from
    1 +- [0.1, 2], so a finite-difference step of 1e-6 never crosses a kink.
    """
    rng = np.random.default_rng(seed)
    shape = (*lead, n)
    sign = rng.choice([-1.0, 1.0], size=shape)
    if REGISTRY[name].task == "regression":
        y = rng.normal(size=n)
        near = rng.uniform(0.1, 0.9, size=shape)
        far = rng.uniform(1.1, 3.0, size=shape)
        return y, y + sign * np.where(rng.random(shape) < 0.5, near, far)
    if name == "cross_entropy":
        return rng.integers(0, K, size=n), rng.normal(scale=3.0, size=(*shape, K))
    y = rng.integers(0, 2, size=n).astype(float)
    if name == "hinge":
        s = 2.0 * y - 1.0
        return y, s * (1.0 + sign * rng.uniform(0.1, 2.0, size=shape))
    return y, rng.normal(scale=3.0, size=shape)


def extreme_case(name):
    """Outputs at +-1000 (and 0), labels of every kind."""
    if name == "cross_entropy":
        z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [0.0, 1000.0, 0.0]])
        return np.array([1, 2, 0]), z
    return np.array([0.0, 1.0, 1.0, 0.0]), np.array([1000.0, -1000.0, 1000.0, -1000.0])


# --------------------------------------------------------------------------------------
# Registry, get, names
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_class_attributes_describe_the_loss(name):
    cls = REGISTRY[name]
    assert cls.name == name
    assert cls.task in losses.TASKS
    # the formula defines L, on one line or as the first of aligned lines
    assert re.match(r"(\\begin\{aligned\} )?L &?= ?&?", cls.latex)
    assert cls.summary and "\n" not in cls.summary


def test_registry_holds_the_required_losses_in_order():
    assert ALL == ["mse", "mae", "huber", "log_cosh", "bce", "cross_entropy", "hinge"]


def test_names_filter_by_task():
    assert losses.names() == ALL
    assert losses.names("regression") == ["mse", "mae", "huber", "log_cosh"]
    assert losses.names("classification") == ["bce", "cross_entropy", "hinge"]


def test_names_rejects_unknown_task():
    with pytest.raises(ValueError, match="regression"):
        losses.names("ranking")


def test_get_unknown_name_lists_the_known_losses():
    with pytest.raises(ValueError, match="unknown loss 'l2'.*mse, mae, huber"):
        losses.get("l2")


def test_get_passes_settings_to_the_loss():
    assert losses.get("huber", delta=2.5).delta == 2.5
    assert losses.get("huber").delta == 1.0


def test_get_rejects_a_setting_the_loss_does_not_take():
    with pytest.raises(ValueError, match="'mse' loss does not take.*delta"):
        losses.get("mse", delta=2.0)


@pytest.mark.parametrize("delta", [0.0, -1.0, float("nan"), None])
def test_huber_rejects_non_positive_delta(delta):
    with pytest.raises(ValueError, match="delta must be a positive number"):
        losses.get("huber", delta=delta)


# --------------------------------------------------------------------------------------
# Values worked by hand
# --------------------------------------------------------------------------------------

LN2, LN3 = np.log(2.0), np.log(3.0)
HAND = {
    # r = [1, 0, 2]: (1 + 0 + 4) / 3
    "mse": ([0.0, 1.0, 2.0], [1.0, 1.0, 4.0], 5.0 / 3.0),
    # r = [1, 0, 2]: (1 + 0 + 2) / 3
    "mae": ([0.0, 1.0, 2.0], [1.0, 1.0, 4.0], 1.0),
    # r = [0.5, -2, 0]: 0.5 * 0.25 = 0.125, 1 * (2 - 0.5) = 1.5, 0
    "huber": ([0.0, 2.0, 1.0], [0.5, 0.0, 1.0], 1.625 / 3.0),
    # cosh(ln 2) = (2 + 1/2) / 2 = 1.25
    "log_cosh": ([0.0, 0.0], [0.0, LN2], np.log(1.25) / 2.0),
    # z = 0: -log(1/2) = log 2;  z = ln 3, y = 1: sigmoid = 3/4, -log(3/4) = log(4/3)
    "bce": ([0.0, 1.0], [0.0, LN3], (LN2 + np.log(4.0 / 3.0)) / 2.0),
    # row 1: uniform over 3, -log(1/3) = log 3;  row 2: softmax = (2, 1, 1)/4, -log(1/2)
    "cross_entropy": ([1, 0], [[0.0, 0.0, 0.0], [LN2, 0.0, 0.0]], (LN3 + LN2) / 2.0),
    # s = [1, -1, 1], 1 - s z = [-1, 1.5, 2] -> [0, 1.5, 2]
    "hinge": ([1.0, 0.0, 1.0], [2.0, 0.5, -1.0], 3.5 / 3.0),
}


@pytest.mark.parametrize("name", ALL)
def test_value_matches_hand_computation(name):
    y, z, expected = HAND[name]
    assert losses.get(name).value(np.array(y), np.array(z)) == pytest.approx(expected, 1e-14)


@pytest.mark.parametrize("name", ALL)
def test_value_is_the_mean_of_pointwise(name):
    y, z = make_case(name)
    loss = losses.get(name)
    assert loss.value(y, z) == pytest.approx(loss.pointwise(y, z).mean(), 1e-14)


def test_huber_turns_linear_at_delta():
    loss = losses.get("huber", delta=2.0)
    # r = 1 (quadratic) and r = 3 (linear): 0.5 * 1 and 2 * (3 - 1)
    np.testing.assert_allclose(loss.pointwise(np.zeros(2), np.array([1.0, -3.0])), [0.5, 4.0])
    np.testing.assert_allclose(loss.pointwise_grad(np.zeros(2), np.array([1.0, -3.0])), [1, -2])


def test_bce_and_cross_entropy_are_exact_at_extreme_logits():
    # confidently wrong by 1000: the loss is 1000 (bce) / 2000 (cross_entropy), not inf
    bce = losses.get("bce")
    np.testing.assert_array_equal(bce.pointwise(np.array([1.0, 0.0]), np.array([-1e3, 1e3])), 1e3)
    ce = losses.get("cross_entropy")
    assert ce.value(np.array([1]), np.array([[1e3, -1e3, 0.0]])) == 2e3


# --------------------------------------------------------------------------------------
# Gradients
# --------------------------------------------------------------------------------------


def central_differences(f, z, h=1e-6):
    """d f / d z by central differences, one coordinate at a time."""
    g = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        g[idx] = (f(zp) - f(zm)) / (2 * h)
    return g


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", ALL)
def test_grad_matches_central_differences(name, seed):
    y, z = make_case(name, seed)
    loss = losses.get(name)
    expected = central_differences(lambda zz: loss.value(y, zz), z)
    np.testing.assert_allclose(loss.grad(y, z), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ALL)
def test_pointwise_grad_matches_central_differences(name):
    y, z = make_case(name, seed=3)
    loss = losses.get(name)
    # per-sample loss i depends only on output i, so the summed loss has gradient pointwise_grad
    expected = central_differences(lambda zz: loss.pointwise(y, zz).sum(), z)
    np.testing.assert_allclose(loss.pointwise_grad(y, z), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("method", ["grad", "value_and_grad"])
def test_mae_gradient_is_zero_at_zero_residual(method):
    g = getattr(losses.get("mae"), method)(np.ones(3), np.array([0.0, 1.0, 3.0]))
    np.testing.assert_array_equal(g[1] if method == "value_and_grad" else g, [-1 / 3, 0, 1 / 3])


@pytest.mark.parametrize("method", ["grad", "value_and_grad"])
def test_hinge_subgradient_is_zero_at_the_kink(method):
    # margins s z = [1, 1, 0.5]: on the kink the gradient is 0 (as torch's relu), inside -s / n
    g = getattr(losses.get("hinge"), method)(np.array([1.0, 0.0, 1.0]), np.array([1.0, -1, 0.5]))
    np.testing.assert_array_equal(g[1] if method == "value_and_grad" else g, [0, 0, -1 / 3])


# --------------------------------------------------------------------------------------
# Shapes and batching
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ONE_OUTPUT)
def test_column_output_means_the_same_as_flat(name):
    y, z = make_case(name)
    loss = losses.get(name)
    assert loss.value(y, z[:, None]) == loss.value(y, z)
    g_col = loss.grad(y, z[:, None])
    assert g_col.shape == (N, 1)
    np.testing.assert_array_equal(g_col[:, 0], loss.grad(y, z))


@pytest.mark.parametrize("name", ONE_OUTPUT)
def test_column_labels_mean_the_same_as_flat(name):
    y, z = make_case(name)
    loss = losses.get(name)
    assert loss.value(y[:, None], z) == loss.value(y, z)


@pytest.mark.parametrize("lead", [(4,), (2, 3)], ids=["G", "AxB"])
@pytest.mark.parametrize("method", ["pointwise", "pointwise_grad"])
@pytest.mark.parametrize("name", ALL)
def test_leading_axes_equal_a_loop_over_them(name, method, lead):
    y, z = make_case(name, lead=lead)
    f = getattr(losses.get(name), method)
    batched = f(y, z)
    assert batched.shape == (z.shape if method == "pointwise_grad" else (*lead, N))
    for idx in np.ndindex(lead):
        np.testing.assert_allclose(batched[idx], f(y, z[idx]), rtol=1e-15, atol=0)


SHAPES = [(name, False) for name in ALL] + [(name, True) for name in ONE_OUTPUT]


@pytest.mark.parametrize(
    ("name", "column"), SHAPES, ids=[f"{n}-{'column' if c else 'flat'}" for n, c in SHAPES]
)
def test_value_and_grad_equals_value_then_grad(name, column):
    y, z = make_case(name)
    if column:
        z = z[:, None]
    loss = losses.get(name)
    value, grad = loss.value_and_grad(y, z)
    assert isinstance(value, float)
    assert value == pytest.approx(loss.value(y, z), rel=1e-14)
    assert grad.shape == z.shape
    np.testing.assert_allclose(grad, loss.grad(y, z), rtol=1e-14, atol=1e-17)


@pytest.mark.parametrize("name", ALL)
def test_methods_leave_their_inputs_unchanged(name):
    y, z = make_case(name)
    y0, z0 = y.copy(), z.copy()
    loss = losses.get(name)
    for method in ("pointwise", "pointwise_grad", "value", "grad", "value_and_grad"):
        getattr(loss, method)(y, z)
    for method in ("predict", "proba"):
        getattr(loss, method)(z)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(z, z0)


# --------------------------------------------------------------------------------------
# Numerical safety
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_extreme_outputs_give_finite_results_without_warnings(name):
    y, z = extreme_case(name)
    loss = losses.get(name)
    # underflow to 0 (exp(-2000)) is exact enough and is not an error
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        results = [
            loss.value(y, z),
            loss.grad(y, z),
            *loss.value_and_grad(y, z),
            loss.pointwise(y, z),
            loss.pointwise_grad(y, z),
            loss.proba(z),
        ]
    for result in results:
        assert np.all(np.isfinite(result))


def test_cross_entropy_rejects_labels_outside_the_classes():
    ce = losses.get("cross_entropy")
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"labels 0\.\.2 .* from 0 to 3"):
        ce.value(np.array([0, 3]), z)
    with pytest.raises(ValueError, match=r"labels 0\.\.2 .* from -1 to 1"):
        ce.grad(np.array([-1, 1]), z)


# --------------------------------------------------------------------------------------
# Predictions, probabilities, outputs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bce", "hinge"])
def test_binary_predict_is_label_of_positive_score(name):
    pred = losses.get(name).predict(np.array([[-2.0], [0.0], [0.1]]))
    np.testing.assert_array_equal(pred, [0, 0, 1])


@pytest.mark.parametrize("name", ["bce", "hinge"])
def test_binary_proba_is_the_sigmoid(name):
    z = np.array([-1000.0, -LN3, 0.0, LN3, 1000.0])
    np.testing.assert_allclose(losses.get(name).proba(z), [0.0, 0.25, 0.5, 0.75, 1.0], rtol=1e-15)


def test_cross_entropy_predict_is_argmax_and_proba_is_softmax():
    ce = losses.get("cross_entropy")
    z = np.array([[0.0, LN2, 0.0], [1000.0, 0.0, -1000.0]])
    np.testing.assert_array_equal(ce.predict(z), [1, 0])
    np.testing.assert_allclose(ce.proba(z), [[0.25, 0.5, 0.25], [1.0, 0.0, 0.0]], rtol=1e-15)


@pytest.mark.parametrize("name", losses.names("regression"))
def test_regression_predict_and_proba_are_the_output(name):
    z = np.array([[1.5], [-2.0]])
    loss = losses.get(name)
    np.testing.assert_array_equal(loss.predict(z), [1.5, -2.0])
    np.testing.assert_array_equal(loss.proba(z), [1.5, -2.0])


@pytest.mark.parametrize("name", ALL)
def test_n_outputs_is_one_or_one_per_class(name):
    expected = 4 if name == "cross_entropy" else 1
    assert losses.get(name).n_outputs(4 if name == "cross_entropy" else 2) == expected


@pytest.mark.parametrize("name", ["bce", "hinge"])
def test_binary_losses_refuse_more_than_two_classes(name):
    with pytest.raises(ValueError, match="3: choose 'cross_entropy'"):
        losses.get(name).n_outputs(3)


# --------------------------------------------------------------------------------------
# Against PyTorch
# --------------------------------------------------------------------------------------


def torch_reference(name, torch, delta=1.0):
    """The torch function of (output, y) that the loss must match."""
    nn = torch.nn
    return {
        "mse": nn.MSELoss(),
        "mae": nn.L1Loss(),
        "huber": nn.HuberLoss(delta=delta),
        "log_cosh": lambda z, y: torch.log(torch.cosh(z - y)).mean(),
        "bce": nn.BCEWithLogitsLoss(),
        "cross_entropy": lambda z, y: nn.CrossEntropyLoss()(z, y.long()),
        "hinge": lambda z, y: torch.clamp(1 - (2 * y - 1) * z, min=0).mean(),
    }[name]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", ALL)
def test_value_and_grad_match_torch(name, seed):
    torch = need("torch")
    y, z = make_case(name, seed, n=32)
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    expected = torch_reference(name, torch)(zt, torch.tensor(y, dtype=torch.float64))
    expected.backward()
    value, grad = losses.get(name).value_and_grad(y, z)
    assert value == pytest.approx(expected.item(), rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_huber_with_other_delta_matches_torch():
    torch = need("torch")
    y, z = make_case("huber", seed=5, n=32)
    zt = torch.tensor(z * 2.0, requires_grad=True)
    expected = torch_reference("huber", torch, delta=2.5)(zt, torch.tensor(y))
    expected.backward()
    value, grad = losses.get("huber", delta=2.5).value_and_grad(y, z * 2.0)
    assert value == pytest.approx(expected.item(), rel=1e-10)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-10, atol=1e-12)
