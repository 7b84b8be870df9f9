"""Tests for lossdash/schedules.py: closed forms by hand and against torch.optim.lr_scheduler."""

import math

import numpy as np
import pytest

from lossdash.schedules import LIMITS, REGISTRY, get, names
from tests.helpers import need

BASE = 0.1

every_schedule = pytest.mark.parametrize("name", names())

# (name, settings, epoch, expected learning rate), worked out by hand from BASE = 0.1
HAND_VALUES = [
    ("constant", {}, 0, 0.1),
    ("constant", {}, 37.5, 0.1),
    ("step", {"step_size": 3, "gamma": 0.5}, 0, 0.1),
    ("step", {"step_size": 3, "gamma": 0.5}, 2.99, 0.1),
    ("step", {"step_size": 3, "gamma": 0.5}, 3, 0.05),
    ("step", {"step_size": 3, "gamma": 0.5}, 6, 0.025),
    ("step", {}, 10, 0.01),  # defaults: step_size 10, gamma 0.1
    ("exponential", {"gamma": 0.5}, 2, 0.025),
    ("exponential", {"gamma": 0.5}, 0.5, 0.1 / math.sqrt(2.0)),
    ("exponential", {}, 1, 0.095),  # default gamma 0.95
    ("cosine", {"T_max": 10, "eta_min": 0.02}, 0, 0.1),
    ("cosine", {"T_max": 10, "eta_min": 0.02}, 5, 0.06),  # halfway: the mean of both ends
    ("cosine", {"T_max": 10, "eta_min": 0.02}, 10, 0.02),
    ("cosine", {"T_max": 12, "eta_min": 0.0}, 4, 0.075),  # (1 + cos(pi/3)) / 2 = 3/4
    ("cosine", {"T_max": 10, "eta_min": 0.02}, 20, 0.1),  # torch's cosine is periodic
    ("cosine", {}, 50, 0.0),  # defaults: T_max 50, eta_min 0
    ("inverse_time", {"decay": 0.5}, 2, 0.05),
    ("inverse_time", {"decay": 0.5}, 6, 0.025),
    ("inverse_time", {}, 10, 0.05),  # default decay 0.1
]


@pytest.mark.parametrize(
    "name, hyper, epoch, expected",
    HAND_VALUES,
    ids=[f"{n}-{h}-epoch{e}".replace(" ", "") for n, h, e, _ in HAND_VALUES],
)
def test_lr_at_matches_the_hand_value(name, hyper, epoch, expected):
    assert get(name, **hyper).lr_at(BASE, epoch) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_registry_holds_the_five_schedules_in_order():
    assert names() == ["constant", "step", "exponential", "cosine", "inverse_time"]


@every_schedule
def test_every_schedule_starts_at_the_base_lr(name):
    assert get(name).lr_at(0.3, 0) == pytest.approx(0.3, rel=1e-15)


@every_schedule
def test_calling_the_schedule_is_lr_at(name):
    schedule = get(name)
    assert schedule(0.2, 7.5) == schedule.lr_at(0.2, 7.5)


@every_schedule
def test_lr_at_returns_a_python_float(name):
    assert type(get(name).lr_at(np.float64(0.1), np.int64(3))) is float


@pytest.mark.parametrize("name", ["step", "exponential", "cosine", "inverse_time"])
def test_decaying_schedules_never_increase_within_the_first_period(name):
    lrs = [get(name).lr_at(BASE, e) for e in np.linspace(0.0, 50.0, 201)]
    assert np.all(np.diff(lrs) <= 0.0) and lrs[-1] < BASE


# --- against torch.optim.lr_scheduler -------------------------------------------------------


def torch_scheduler(torch, name, hyper, optimizer):
    sched = torch.optim.lr_scheduler
    h = {**REGISTRY[name].hyper, **hyper}
    return {
        "constant": lambda: sched.LambdaLR(optimizer, lambda e: 1.0),
        "step": lambda: sched.StepLR(optimizer, h["step_size"], h["gamma"]),
        "exponential": lambda: sched.ExponentialLR(optimizer, h["gamma"]),
        "cosine": lambda: sched.CosineAnnealingLR(optimizer, h["T_max"], h["eta_min"]),
        "inverse_time": lambda: sched.LambdaLR(optimizer, lambda e: 1.0 / (1.0 + h["decay"] * e)),
    }[name]()


TORCH_CASES = [
    ("constant", {}),
    ("step", {"step_size": 4, "gamma": 0.5}),
    ("exponential", {"gamma": 0.9}),
    ("cosine", {"T_max": 15, "eta_min": 0.001}),
    ("inverse_time", {"decay": 0.3}),
]


@pytest.mark.parametrize("name, hyper", TORCH_CASES, ids=[n for n, _ in TORCH_CASES])
def test_whole_epochs_match_torch(name, hyper):
    torch = need("torch")
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=BASE)
    scheduler = torch_scheduler(torch, name, hyper, opt)
    schedule = get(name, **hyper)
    for epoch in range(40):  # past T_max = 15 twice: the cosine's periodic part too
        assert schedule.lr_at(BASE, epoch) == pytest.approx(
            scheduler.get_last_lr()[0], rel=1e-12, abs=1e-15
        ), epoch
        opt.step()
        scheduler.step()


# --- errors --------------------------------------------------------------------------------


def test_unknown_name_lists_the_registry():
    with pytest.raises(ValueError, match="unknown schedule 'cosin'") as err:
        get("cosin")
    assert "constant, step, exponential, cosine, inverse_time" in str(err.value)


def test_unknown_setting_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="cosine schedule has no setting 'gamma'") as err:
        get("cosine", gamma=0.5)
    assert "it takes T_max, eta_min" in str(err.value)


BAD_SETTINGS = [
    ("step", {"step_size": 0}, r"step_size must be a number in \(0, inf\)"),
    ("step", {"gamma": 1.5}, r"gamma must be a number in \(0, 1\]"),
    ("exponential", {"gamma": 0.0}, r"gamma must be a number in \(0, 1\]"),
    ("cosine", {"T_max": -5}, r"T_max must be a number in \(0, inf\)"),
    ("cosine", {"eta_min": math.nan}, r"eta_min must be a number in \[0, inf\)"),
    ("inverse_time", {"decay": "0.1"}, r"decay must be a number"),
    ("inverse_time", {"decay": True}, r"decay must be a number"),
]


@pytest.mark.parametrize(
    "name, hyper, message",
    BAD_SETTINGS,
    ids=[f"{n}-{k}={v!r}" for n, h, _ in BAD_SETTINGS for k, v in h.items()],
)
def test_out_of_range_setting_raises(name, hyper, message):
    with pytest.raises(ValueError, match=message):
        get(name, **hyper)


@pytest.mark.parametrize("epoch", [-1, math.nan], ids=repr)
def test_negative_or_nan_epoch_raises(epoch):
    with pytest.raises(ValueError, match="epoch must be a number >= 0"):
        get("cosine").lr_at(BASE, epoch)


@every_schedule
def test_latex_and_summary_describe_the_schedule(name):
    cls = REGISTRY[name]
    assert r"\eta_e" in cls.latex and cls.latex.count("{") == cls.latex.count("}")
    assert cls.summary and "\n" not in cls.summary
    assert set(cls.hyper) <= set(LIMITS)  # every setting is range-checked
