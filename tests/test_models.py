"""Models: shapes, the flat parameter vector, and every gradient against finite differences."""

import numpy as np
import pytest

from lossdash import losses, models


def numeric_grad(f, theta, eps=1e-6):
    """Central differences of the scalar function ``f`` at ``theta`` (changed and restored)."""
    g = np.zeros_like(theta)
    for i in range(theta.size):
        old = theta[i]
        theta[i] = old + eps
        up = f()
        theta[i] = old - eps
        down = f()
        theta[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def problem(task, n=12, d=3, k=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if task == "regression":
        y = rng.normal(size=n)
    else:
        y = rng.integers(0, max(k, 2), size=n)
    return X, y


@pytest.mark.parametrize("activation", list(models.ACTIVATIONS))
@pytest.mark.parametrize("init", ["xavier", "he"])
def test_mlp_gradients_match_finite_differences(activation, init):
    X, y = problem("regression")
    model = models.make("mlp", 3, hidden=(5, 4), activation=activation, init=init, seed=1)
    model.theta += 0.05 * np.random.default_rng(2).normal(size=model.n_params)  # off any kink
    loss = losses.get("mse")
    _, grads = model.loss_and_grads(X, y, loss)
    analytic = model.grad.copy()
    numeric = numeric_grad(lambda: loss.value(y, model.forward(X)), model.theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
    assert set(grads) == {"W1", "b1", "W2", "b2", "W3", "b3"}


@pytest.mark.parametrize("loss_name", losses.names())
def test_model_gradients_match_finite_differences_for_every_loss(loss_name):
    loss = losses.get(loss_name)
    k = 3 if loss_name == "cross_entropy" else 1
    X, y = problem(loss.task, k=k, seed=3)
    model = models.make("mlp", 3, n_outputs=k, hidden=(4,), activation="tanh", seed=4)
    model.loss_and_grads(X, y, loss)
    analytic = model.grad.copy()
    numeric = numeric_grad(lambda: loss.value(y, model.forward(X)), model.theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-7)


def test_penalty_gradients_match_finite_differences():
    X, y = problem("regression")
    model = models.make("mlp", 3, hidden=(4,), l1=0.03, l2=0.2, seed=5)
    loss = losses.get("mse")
    value, _ = model.loss_and_grads(X, y, loss)
    analytic = model.grad.copy()

    def objective():
        return loss.value(y, model.forward(X)) + model.penalty()

    assert value == pytest.approx(objective())
    np.testing.assert_allclose(analytic, numeric_grad(objective, model.theta), rtol=1e-5, atol=1e-7)


def test_penalty_skips_biases():
    model = models.make("linear", 2, l2=2.0)
    model.params["W1"] = [[1.0], [2.0]]
    model.params["b1"] = [100.0]
    assert model.penalty() == pytest.approx(0.5 * 2.0 * (1 + 4))


def test_linear_model_output_is_xw_plus_b():
    model = models.make("linear", 2)
    model.params["W1"] = [[2.0], [-1.0]]
    model.params["b1"] = [0.5]
    X = np.array([[1.0, 1.0], [0.0, 3.0]])
    np.testing.assert_allclose(model.forward(X), [1.5, -2.5])


def test_linear_mse_gradient_is_minus_two_xt_error_over_m():
    """dMSE/dw = -2 X^T (y - y_pred) / m: subtracting it descends (the sign the brief warns of)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(100, 1))
    y = 3 * X[:, 0] + rng.uniform(size=100)
    model = models.make("linear", 1, init="zeros")
    _, grads = model.loss_and_grads(X, y, losses.get("mse"))
    error = y - model.forward(X)
    np.testing.assert_allclose(grads["W1"][:, 0], -2 * X.T @ error / 100)
    np.testing.assert_allclose(grads["b1"], [-2 * error.mean()])


def test_params_are_views_into_theta_and_assignment_copies_in():
    model = models.make("mlp", 2, hidden=(3,))
    model.params["W2"] = np.arange(3.0).reshape(3, 1)
    np.testing.assert_array_equal(model.theta[model.layout[2][1]], [0, 1, 2])
    model.theta[:] = 7.0
    assert model.params["b1"][0] == 7.0
    with pytest.raises(ValueError, match="shape"):
        model.params["W1"] = np.zeros((5, 5))


def test_param_names_follow_theta_order():
    model = models.make("linear", 2)
    assert model.param_names() == ["W1[0,0]", "W1[1,0]", "b1[0]"]


def test_batch_forward_and_grads_equal_single_runs():
    loss = losses.get("cross_entropy")
    X, y = problem("classification", k=3, seed=6)
    model = models.make("mlp", 3, n_outputs=3, hidden=(4, 3), activation="relu", seed=7)
    thetas = model.theta + 0.3 * np.random.default_rng(8).normal(size=(5, model.n_params))
    values, grads = model.loss_and_grads_batch(X, y, loss, thetas)
    for g in range(5):
        model.theta[:] = thetas[g]
        value, _ = model.loss_and_grads(X, y, loss)
        assert values[g] == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(grads[g], model.grad, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(model.forward_batch(X, thetas)[g], model.forward(X))


def test_zero_init_leaves_hidden_units_identical():
    """Symmetry: from all-zero weights every hidden unit of an MLP gets the same gradient."""
    X, y = problem("regression")
    model = models.make("mlp", 3, hidden=(4,), activation="sigmoid", init="zeros")
    _, grads = model.loss_and_grads(X, y, losses.get("mse"))
    assert np.allclose(grads["W2"], grads["W2"][0])


def test_xavier_init_bounds():
    model = models.make("mlp", 30, hidden=(50,), init="xavier", seed=0)
    a = np.sqrt(6 / 80)
    W = model.params["W1"]
    assert np.abs(W).max() <= a and np.abs(W).max() > 0.9 * a


def test_same_seed_same_weights_and_copy_is_independent():
    a = models.make("mlp", 2, hidden=(3,), seed=11)
    b = models.make("mlp", 2, hidden=(3,), seed=11)
    np.testing.assert_array_equal(a.theta, b.theta)
    c = a.copy()
    c.theta[:] = 0
    assert not np.allclose(a.theta, 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "cnn"}, "unknown model kind"),
        ({"kind": "linear", "hidden": (3,)}, "no hidden layers"),
        ({"kind": "mlp", "activation": "swish", "hidden": (3,)}, "unknown activation"),
        ({"kind": "mlp", "init": "orthogonal", "hidden": (3,)}, "unknown init"),
        ({"kind": "mlp"}, "at least one hidden layer"),
    ],
)
def test_bad_model_settings_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.make(n_features=2, **kwargs)


def test_sigmoid_activation_is_stable_at_large_inputs():
    model = models.make("mlp", 1, hidden=(2,), activation="sigmoid")
    out = model.forward(np.array([[1e6], [-1e6]]))
    assert np.all(np.isfinite(out))
