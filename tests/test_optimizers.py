"""Tests for lossdash/optimizers.py: update rules by hand and against torch.optim."""

import math

import numpy as np
import pytest

from lossdash import optimizers
from lossdash.optimizers import REGISTRY, clip_grad_norm, get, names
from tests.helpers import need

LR = 0.1

# torch.optim's documented defaults, written out here rather than read from the module.
TORCH_DEFAULTS = {
    "sgd": {"weight_decay": 0.0},
    "momentum": {"momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0},
    "nesterov": {"momentum": 0.9, "weight_decay": 0.0},
    "adagrad": {
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
    },
    "rmsprop": {
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
    },
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False},
}

# (registry name, hyperparameters): every entry with its defaults, plus the variants.
CASES = [(name, {}) for name in TORCH_DEFAULTS] + [
    ("sgd", {"weight_decay": 0.1}),
    ("momentum", {"momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1}),
    ("nesterov", {"momentum": 0.5, "weight_decay": 0.1}),
    ("adagrad", {"lr_decay": 0.5, "initial_accumulator_value": 0.3, "weight_decay": 0.1}),
    ("rmsprop", {"centered": True}),
    ("rmsprop", {"momentum": 0.5, "weight_decay": 0.1}),
    ("rmsprop", {"alpha": 0.5, "centered": True, "momentum": 0.5, "eps": 1e-3}),
    ("adam", {"weight_decay": 0.1}),
    ("adam", {"amsgrad": True, "beta2": 0.5}),
    ("adam", {"beta1": 0.5, "eps": 1e-3}),
    ("adamw", {"weight_decay": 0.1, "amsgrad": True, "beta2": 0.5}),
    ("sgd", {"clip_norm": 1.0}),
    ("momentum", {"clip_norm": 1.0, "weight_decay": 0.1}),
    ("adam", {"clip_norm": 0.5, "weight_decay": 0.1}),
    ("adamw", {"clip_norm": 0.5}),
]


def case_id(case):
    name, hyper = case
    return "-".join([name, *(f"{k}={v}" for k, v in hyper.items())])


cases = pytest.mark.parametrize("name, hyper", CASES, ids=[case_id(c) for c in CASES])
every_optimizer = pytest.mark.parametrize("name", names())


# --- reference updates: scalar math, one coordinate at a time ----------------------------


def ref_sgd(x, g, s, t, lr, h):
    """SGD, momentum and Nesterov for one coordinate; ``s`` holds the buffer."""
    g = g + h["weight_decay"] * x
    mu = h.get("momentum", 0.0)
    if mu:
        s["b"] = g if t == 1 else mu * s["b"] + (1.0 - h.get("dampening", 0.0)) * g
        g = g + mu * s["b"] if h.get("nesterov") else s["b"]
    return x - lr * g


def ref_adagrad(x, g, s, t, lr, h):
    g = g + h["weight_decay"] * x
    s["sum"] = s.get("sum", h["initial_accumulator_value"]) + g * g
    clr = lr / (1.0 + (t - 1) * h["lr_decay"])
    return x - clr * g / (math.sqrt(s["sum"]) + h["eps"])


def ref_rmsprop(x, g, s, t, lr, h):
    g = g + h["weight_decay"] * x
    alpha = h["alpha"]
    s["v"] = alpha * s.get("v", 0.0) + (1.0 - alpha) * g * g
    if h["centered"]:
        s["a"] = alpha * s.get("a", 0.0) + (1.0 - alpha) * g
        d = math.sqrt(s["v"] - s["a"] ** 2) + h["eps"]
    else:
        d = math.sqrt(s["v"]) + h["eps"]
    if h["momentum"]:
        s["b"] = h["momentum"] * s.get("b", 0.0) + g / d
        return x - lr * s["b"]
    return x - lr * g / d


def ref_adam(x, g, s, t, lr, h, decoupled=False):
    if decoupled:
        x = x * (1.0 - lr * h["weight_decay"])
    else:
        g = g + h["weight_decay"] * x
    b1, b2 = h["beta1"], h["beta2"]
    s["m"] = b1 * s.get("m", 0.0) + (1.0 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
    s["vmax"] = max(s.get("vmax", 0.0), s["v"])
    v = s["vmax"] if h["amsgrad"] else s["v"]
    m_hat, v_hat = s["m"] / (1.0 - b1**t), v / (1.0 - b2**t)
    return x - lr * m_hat / (math.sqrt(v_hat) + h["eps"])


REFERENCE = {
    "sgd": ref_sgd,
    "momentum": ref_sgd,
    "nesterov": lambda *a: ref_sgd(*a[:-1], {**a[-1], "nesterov": True}),
    "adagrad": ref_adagrad,
    "rmsprop": ref_rmsprop,
    "adam": ref_adam,
    "adamw": lambda *a: ref_adam(*a, decoupled=True),
}


def ref_clip(g, max_norm):
    total = math.sqrt(sum(gi * gi for gi in g))
    coef = max_norm / (total + 1e-6)
    return [gi * coef for gi in g] if coef < 1.0 else list(g)


def reference_run(name, hyper, theta, grads, lr):
    """Parameters after each step, computed coordinate by coordinate."""
    h = {**TORCH_DEFAULTS[name], **hyper}
    clip = h.pop("clip_norm", None)
    states = [{} for _ in theta]
    theta, path = list(theta), []
    for t, g in enumerate(grads, start=1):
        g = ref_clip(g, clip) if clip else g
        step = REFERENCE[name]
        theta = [step(x, gi, s, t, lr, h) for x, gi, s in zip(theta, g, states, strict=True)]
        path.append(theta)
    return np.array(path)


def run(opt, theta, grads):
    theta, path = np.array(theta, dtype=float), []
    for g in grads:
        opt.step({"theta": theta}, {"theta": np.array(g, dtype=float)})
        path.append(theta.copy())
    return np.array(path)


# --- update rules --------------------------------------------------------------------------

THETA0 = [0.5, -1.0, 2.0]
GRADS = [[1.0, -2.0, 0.5], [0.1, -0.5, 3.0], [-0.2, 0.05, 1.0]]  # v shrinks: amsgrad matters


@cases
def test_first_three_steps_match_the_formula(name, hyper):
    got = run(get(name, LR, **hyper), THETA0, GRADS)
    want = reference_run(name, hyper, THETA0, GRADS, LR)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_sgd_step_by_hand():
    theta = np.array([1.0, 2.0])
    get("sgd", 0.1).step({"w": theta}, {"w": np.array([0.5, -1.0])})
    np.testing.assert_allclose(theta, [0.95, 2.1], rtol=1e-15)


@pytest.mark.parametrize(
    "name, factor",
    [("adagrad", 1.0), ("rmsprop", 10.0), ("adam", 1.0), ("adamw", 1.0)],
    ids=["adagrad", "rmsprop", "adam", "adamw"],
)
def test_first_adaptive_step_moves_each_coordinate_by_lr_times_sign(name, factor):
    # step 1: g / sqrt(g^2) = sign(g); RMSprop's v_1 = 0.01 g^2 gives a 1/sqrt(0.01) = 10 factor
    theta, g = np.array([1.0, 1.0, 1.0]), np.array([0.5, -3.0, 2.0])
    opt = get(name, LR, weight_decay=0.0)
    opt.step({"w": theta}, {"w": g})
    np.testing.assert_allclose(1.0 - theta, LR * factor * np.sign(g), rtol=1e-6)


def test_amsgrad_divides_by_the_largest_second_moment():
    opt = get("adam", LR, amsgrad=True, beta2=0.5)
    run(opt, THETA0, GRADS)
    state = opt.state["theta"]
    assert np.all(state["max_exp_avg_sq"] >= state["exp_avg_sq"])
    assert np.any(state["max_exp_avg_sq"] > state["exp_avg_sq"])  # the grads were chosen so
    assert not np.allclose(
        run(get("adam", LR, beta2=0.5), THETA0, GRADS)[-1],
        run(get("adam", LR, amsgrad=True, beta2=0.5), THETA0, GRADS)[-1],
    )


def test_adamw_decays_the_weights_even_with_zero_gradient():
    theta = np.array([2.0, -4.0])
    get("adamw", 0.1, weight_decay=0.5).step({"w": theta}, {"w": np.zeros(2)})
    np.testing.assert_allclose(theta, [2.0 * 0.95, -4.0 * 0.95], rtol=1e-15)


def test_adagrad_lr_decay_shrinks_the_step_by_one_over_one_plus_t_minus_one_decay():
    opt = get("adagrad", 1.0, lr_decay=1.0, initial_accumulator_value=1e10, eps=1e-10)
    theta = np.zeros(1)
    steps = []
    for _ in range(3):  # the huge accumulator keeps sqrt(s) at 1e5: step = clr * g / 1e5
        before = theta.copy()
        opt.step({"w": theta}, {"w": np.ones(1)})
        steps.append(float((before - theta)[0]) * 1e5)
    np.testing.assert_allclose(steps, [1.0, 1.0 / 2.0, 1.0 / 3.0], rtol=1e-9)


# --- against torch.optim -------------------------------------------------------------------

TORCH_CLASS = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
}


def torch_kwargs(name, hyper):
    """The torch.optim class name and keyword arguments equivalent to ``get(name, ...)``."""
    cls, kwargs = TORCH_CLASS[name]
    kwargs, hyper = dict(kwargs), dict(hyper)
    if "beta1" in hyper or "beta2" in hyper:
        kwargs["betas"] = (hyper.pop("beta1", 0.9), hyper.pop("beta2", 0.999))
    return cls, {**kwargs, **hyper}


@pytest.fixture
def torch():
    return need("torch")


def random_quadratic(n=6, seed=0):
    """``A`` (SPD, condition ~ 20) and ``b`` of ``f(x) = x'Ax/2 - b'x``, and a start."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    a = q @ np.diag(np.linspace(0.5, 10.0, n)) @ q.T
    return a, rng.normal(size=n), rng.normal(size=n) * 2.0


@cases
def test_twenty_steps_match_torch(torch, name, hyper):
    a, b, theta0 = random_quadratic()
    hyper = dict(hyper)
    clip = hyper.get("clip_norm")
    opt, theta = get(name, 0.05, **hyper), theta0.copy()
    hyper.pop("clip_norm", None)
    cls, kwargs = torch_kwargs(name, hyper)
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, cls)([p], lr=0.05, **kwargs)
    for _ in range(20):
        opt.step({"theta": theta}, {"theta": a @ theta - b})
        p.grad = torch.from_numpy(a @ p.detach().numpy() - b)
        if clip:
            torch.nn.utils.clip_grad_norm_([p], clip)
        topt.step()
        np.testing.assert_allclose(theta, p.detach().numpy(), rtol=1e-12, atol=1e-12)
    tstate = topt.state[p]
    for key, value in opt.state["theta"].items():  # same moments, under torch's names
        np.testing.assert_allclose(value, tstate[key].numpy(), rtol=1e-12, atol=1e-12)


@every_optimizer
def test_defaults_are_torchs(torch, name):
    cls, kwargs = torch_kwargs(name, REGISTRY[name].hyper)
    preset = TORCH_CLASS[name][1]  # momentum=0.9 (and nesterov) are our registry's choice
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    tdefaults = getattr(torch.optim, cls)([p], lr=0.1, **preset).defaults
    for key, value in kwargs.items():
        assert tdefaults[key] == value, key


# --- behaviour -----------------------------------------------------------------------------


@every_optimizer
def test_hyper_lists_the_documented_defaults(name):
    assert REGISTRY[name].hyper == TORCH_DEFAULTS[name]


@every_optimizer
def test_constructed_optimizer_has_each_default_as_attribute(name):
    opt = get(name, 0.3)
    assert opt.settings() == {"lr": 0.3, **TORCH_DEFAULTS[name], "clip_norm": None}


@every_optimizer
def test_state_is_keyed_by_parameter_name(name):
    opt = get(name, LR, clip_norm=1.0)
    params = {"W": np.ones((2, 3)), "b": np.zeros(3)}
    opt.step(params, {"W": np.full((2, 3), 0.5), "b": np.ones(3)})
    assert set(opt.state) == {"W", "b"} and opt.t == 1
    for key, shape in (("W", (2, 3)), ("b", (3,))):
        assert all(v.shape == shape for v in opt.state[key].values())


@every_optimizer
def test_a_dict_of_params_steps_like_one_concatenated_vector(name):
    # clip_norm makes the global norm over both arrays matter
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(2, 3)), rng.normal(size=3)
    gw, gb = rng.normal(size=(2, 3)), rng.normal(size=3)
    split, flat = get(name, LR, clip_norm=0.5), get(name, LR, clip_norm=0.5)
    theta = np.concatenate([w.ravel(), b])
    for _ in range(3):
        split.step({"W": w, "b": b}, {"W": gw, "b": gb})
        flat.step({"theta": theta}, {"theta": np.concatenate([gw.ravel(), gb])})
    np.testing.assert_allclose(np.concatenate([w.ravel(), b]), theta, rtol=1e-14)


@every_optimizer
def test_step_writes_through_views(name):
    theta = np.ones(5)
    view = theta[1:4]  # the trainer's params are views into model.theta
    get(name, LR).step({"w": view}, {"w": np.ones(3)})
    assert theta[0] == theta[4] == 1.0
    assert np.all(theta[1:4] < 1.0)


@every_optimizer
def test_step_never_modifies_the_callers_grads(name):
    g = np.array([3.0, -4.0, 12.0])
    opt = get(name, LR, clip_norm=1.0, weight_decay=0.1)
    for _ in range(3):
        opt.step({"w": np.ones(3)}, {"w": g})
    np.testing.assert_array_equal(g, [3.0, -4.0, 12.0])


@every_optimizer
def test_reset_clears_state_and_step_count(name):
    opt = get(name, LR, clip_norm=1.0)
    run(opt, THETA0, GRADS)
    opt.reset()
    assert opt.state == {} and opt.t == 0 and opt.grad_norm is None
    fresh = get(name, LR, clip_norm=1.0)
    np.testing.assert_array_equal(run(opt, THETA0, GRADS), run(fresh, THETA0, GRADS))


def test_changing_lr_between_steps_takes_effect_on_the_next_step():
    opt, theta = get("sgd", 0.1), np.zeros(2)
    opt.step({"w": theta}, {"w": np.ones(2)})
    opt.lr = 0.01
    opt.step({"w": theta}, {"w": np.ones(2)})
    np.testing.assert_allclose(theta, [-0.11, -0.11], rtol=1e-15)


@every_optimizer
def test_step_count_is_shared_and_counts_steps(name):
    opt = get(name, LR)
    run(opt, THETA0, GRADS)
    assert opt.t == 3


A = np.array([[3.0, 1.0], [1.0, 2.0]])
B = np.array([1.0, -1.0])
MINIMUM = np.linalg.solve(A, B)  # (3/5, -4/5)


MINIMISE = [
    ("sgd", 0.2, 1e-10),
    ("momentum", 0.05, 1e-10),
    ("nesterov", 0.05, 1e-10),
    ("adagrad", 0.5, 1e-10),
    # with a constant lr the adaptive methods hover within ~lr/10 of the minimum (their
    # steps are ~lr * g / rms(g), which does not shrink with g), AdamW's decay pulls to 0
    ("rmsprop", 0.01, 1e-2),
    ("adam", 0.05, 1e-2),
    ("adamw", 0.05, 1e-2),
]


def test_registry_holds_the_seven_optimizers_in_order():
    assert names() == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
    assert [name for name, _, _ in MINIMISE] == names()


@pytest.mark.parametrize("name, lr, tol", MINIMISE, ids=[case[0] for case in MINIMISE])
def test_minimises_a_convex_quadratic(name, lr, tol):
    opt, theta = get(name, lr), np.array([3.0, -2.0])  # 2.4 away from the minimum
    for _ in range(1000):
        opt.step({"theta": theta}, {"theta": A @ theta - B})
    assert np.max(np.abs(theta - MINIMUM)) < tol


# --- clipping ------------------------------------------------------------------------------


def test_clip_grad_norm_scales_all_grads_by_the_global_norm():
    grads = {"a": np.array([3.0, 4.0]), "b": np.array([12.0])}  # global norm sqrt(169) = 13
    total = clip_grad_norm(grads, 6.5)
    assert total == 13.0
    scale = 6.5 / (13.0 + 1e-6)
    np.testing.assert_allclose(grads["a"], [3.0 * scale, 4.0 * scale], rtol=1e-15)
    np.testing.assert_allclose(grads["b"], [12.0 * scale], rtol=1e-15)


def test_clip_grad_norm_leaves_small_grads_alone():
    grads = {"a": np.array([3.0, 4.0])}
    assert clip_grad_norm(grads, 5.0 + 2e-6) == 5.0
    np.testing.assert_array_equal(grads["a"], [3.0, 4.0])


def test_clip_grad_norm_leaves_non_finite_grads_alone():
    grads = {"a": np.array([np.inf, 1.0])}
    assert clip_grad_norm(grads, 1.0) == math.inf
    np.testing.assert_array_equal(grads["a"], [np.inf, 1.0])


def test_clip_norm_in_step_uses_the_clipped_gradient_and_records_the_norm():
    opt, theta = get("sgd", 1.0, clip_norm=1.0), np.zeros(2)
    opt.step({"w": theta}, {"w": np.array([3.0, 4.0])})
    np.testing.assert_allclose(theta, [-3.0 / (5.0 + 1e-6), -4.0 / (5.0 + 1e-6)], rtol=1e-15)
    assert opt.grad_norm == 5.0


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf, "1"], ids=repr)
def test_clip_grad_norm_rejects_a_bad_max_norm(bad):
    with pytest.raises(ValueError, match="max_norm must be a positive finite number"):
        clip_grad_norm({"a": np.ones(2)}, bad)


# --- errors --------------------------------------------------------------------------------


def test_unknown_name_lists_the_registry():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'") as err:
        get("adamm", 0.1)
    assert "sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw" in str(err.value)


@every_optimizer
def test_unknown_hyperparameter_lists_the_allowed_ones(name):
    with pytest.raises(ValueError, match=f"{name} has no hyperparameter 'betas'") as err:
        get(name, 0.1, betas=(0.9, 0.99))
    assert ", ".join([*TORCH_DEFAULTS[name], "clip_norm"]) in str(err.value)


@pytest.mark.parametrize("bad", [0.0, -0.1, math.nan, math.inf, "0.1", None, True], ids=repr)
def test_learning_rate_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError, match="learning rate must be a positive finite number"):
        get("adam", bad)


BAD_SETTINGS = [
    ("momentum", {"momentum": 1.0}, r"momentum optimizer: momentum must be a number in \[0, 1\)"),
    ("momentum", {"dampening": 1.5}, r"dampening must be a number in \[0, 1\]"),
    ("adam", {"beta1": 1.0}, r"adam optimizer: beta1 must be a number in \[0, 1\)"),
    ("adam", {"beta2": -0.1}, r"beta2 must be a number in \[0, 1\)"),
    ("adam", {"eps": 0.0}, r"eps must be a number in \(0, inf\)"),
    ("adamw", {"weight_decay": -0.01}, r"weight_decay must be a number in \[0, inf\)"),
    ("adagrad", {"lr_decay": math.nan}, r"lr_decay must be a number"),
    ("rmsprop", {"alpha": "0.9"}, r"alpha must be a number"),
    ("rmsprop", {"centered": 1}, "rmsprop optimizer: centered must be True or False"),
    ("adam", {"amsgrad": "yes"}, "amsgrad must be True or False"),
    ("sgd", {"clip_norm": 0.0}, "clip_norm must be a positive finite number"),
    ("nesterov", {"momentum": 0.0}, "nesterov momentum must be greater than 0"),
]


@pytest.mark.parametrize(
    "name, hyper, message",
    BAD_SETTINGS,
    ids=[
        f"{name}-{key}={value!r}" for name, hyper, _ in BAD_SETTINGS for key, value in hyper.items()
    ],
)
def test_out_of_range_hyperparameter_raises(name, hyper, message):
    with pytest.raises(ValueError, match=message):
        get(name, 0.1, **hyper)


@every_optimizer
def test_latex_and_summary_describe_the_update(name):
    cls = REGISTRY[name]
    assert r"\theta_t" in cls.latex and cls.latex.count("{") == cls.latex.count("}")
    assert cls.summary and "\n" not in cls.summary
    assert optimizers.REGISTRY[name].name == name
