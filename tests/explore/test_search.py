"""Settings search: the trials drawn, one row per trial, the same table on every executor."""

import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from lossdash import config
from lossdash.explore import search
from lossdash.explore.search import Range
from tests.helpers import need

BASE = config.RunConfig(
    dataset="moons", n_samples=120, noise=0.1, loss="bce", model="mlp", hidden="4",
    batch_size=16, max_epochs=8,
)
SPACE = {"lr": Range(1e-3, 10.0), "optimizer": ["sgd", "adam"]}
REGRESSION = config.RunConfig(dataset="linear", n_samples=60, noise=0.1, max_epochs=20)


def without_seconds(table):
    return table.drop(columns="seconds")


@pytest.fixture(scope="module")
def sequential_table():
    return search.run(BASE, SPACE, 6, executor="sequential", seed=3)


# --------------------------------------------------------------------------- executors
def test_pool_dask_and_sequential_give_the_same_table(sequential_table):
    distributed = need("distributed")
    pool = search.run(BASE, SPACE, 6, executor=2, seed=3)
    with (
        distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask = search.run(BASE, SPACE, 6, executor=client.get_executor(), seed=3)
    expected = without_seconds(sequential_table)
    pd.testing.assert_frame_equal(without_seconds(pool), expected)
    pd.testing.assert_frame_equal(without_seconds(dask), expected)


def test_any_executor_gives_the_same_table(sequential_table):
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as processes, ThreadPoolExecutor(2) as threads:
        tables = [search.run(BASE, SPACE, 6, executor=ex, seed=3) for ex in (processes, threads)]
    for table in tables:
        pd.testing.assert_frame_equal(without_seconds(table), without_seconds(sequential_table))


def test_cancel_ends_the_pool_processes():
    slow = BASE.replace(batch_size=1, max_epochs=100_000)  # every trial would take minutes
    s = search.Search(slow, SPACE, 4, executor=2).start_background()
    deadline = time.monotonic() + 60
    while not multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children(), "the pool never started"
    s.cancel()
    s.join(timeout=60)
    assert s.done and s.n_done == 0
    assert not multiprocessing.active_children()


# --------------------------------------------------------------------------- rows
def test_a_row_holds_the_trials_final_losses():
    table = search.run(BASE, {"lr": [0.05]}, 1, executor="sequential")
    train, val, _ = config.prepare(BASE, config.make_dataset(BASE))
    trainer = config.build_trainer(BASE.replace(lr=0.05), train, val)
    trainer.run_steps(10**6)
    row = table.iloc[0]
    assert row["val_loss"] == trainer.evaluate(val)[0]
    assert row["train_loss"] == trainer.evaluate(train)[0]
    assert row["accuracy"] == trainer.evaluate(val)[1]
    assert (row["epochs"], row["status"]) == (trainer.epoch, trainer.status)


def test_regression_rows_carry_r2():
    table = search.run(REGRESSION, {"lr": [0.1]}, 1, executor="sequential")
    assert "r2" in table.columns and 0.5 < table["r2"].iloc[0] <= 1.0


def test_diverged_trial_is_a_row_with_nan_losses():
    table = search.run(REGRESSION, {"lr": [0.01, 50.0]}, 2, method="grid",
                       executor="sequential")
    ok, blown = table.iloc[0], table.iloc[1]
    assert (ok["status"], blown["status"]) == ("max_epochs", "diverged")
    assert math.isfinite(ok["val_loss"]) and math.isnan(blown["val_loss"])
    assert "diverged" in blown["message"]


def test_failing_trial_is_a_row_with_its_message():
    table = search.run(REGRESSION, {"loss": ["mse", "bce"]}, 2, method="grid",
                       executor="sequential")
    assert list(table["status"]) == ["max_epochs", "error"]
    assert "does not fit a regression data set" in table["message"].iloc[1]


def test_on_result_is_called_for_each_trial_as_it_finishes():
    seen = []
    table = search.run(BASE, SPACE, 4, executor="sequential",
                       on_result=lambda row: seen.append(row["trial"]))
    assert seen == [1, 2, 3, 4] and len(table) == 4


# --------------------------------------------------------------------------- drawing trials
def test_same_seed_draws_the_same_trials_and_another_seed_others():
    first = search.make_trials(SPACE, 20, seed=1)
    assert first == search.make_trials(SPACE, 20, seed=1)
    assert first != search.make_trials(SPACE, 20, seed=2)


def test_rate_ranges_are_log_uniform_within_their_bounds():
    lrs = np.array([t["lr"] for t in search.make_trials({"lr": Range(1e-4, 10.0)}, 4000)])
    assert lrs.min() >= 1e-4 and lrs.max() <= 10.0
    # two of the five decades lie below 1e-2: log-uniform puts 40% there, uniform 0.1%
    assert abs(np.mean(lrs < 1e-2) - 0.4) < 0.03


def test_other_ranges_are_uniform():
    momenta = np.array([t["momentum"] for t in search.make_trials(
        {"momentum": Range(0.0, 0.9)}, 4000)])
    assert abs(np.mean(momenta < 0.45) - 0.5) < 0.03


def test_integer_fields_draw_whole_numbers():
    sizes = [t["batch_size"] for t in search.make_trials({"batch_size": Range(1, 64)}, 200)]
    assert all(isinstance(b, int) and 1 <= b <= 64 for b in sizes)


def test_grid_crosses_choices_with_evenly_spaced_log_points():
    trials = search.make_trials({"optimizer": ["sgd", "adam"], "lr": Range(1e-3, 1e-1)}, 7,
                                method="grid")
    lrs = sorted({t["lr"] for t in trials})
    assert len(trials) == 6 and {t["optimizer"] for t in trials} == {"sgd", "adam"}
    np.testing.assert_allclose(lrs, [1e-3, 1e-2, 1e-1])


def test_grid_with_more_combinations_than_trials_is_refused():
    with pytest.raises(ValueError, match="6 combinations, more than the 4 trials"):
        search.make_trials({"optimizer": ["sgd", "adam", "momentum"], "batch_size": [0, 8]}, 4,
                           method="grid")


@pytest.mark.parametrize("space, words", [
    ({"n_samples": [10, 20]}, "changes the data"),
    ({"colour": ["red"]}, "not a setting"),
    ({"lr": Range(1.0, 0.1)}, "put the smaller value first"),
    ({"l2": Range(0.0, 1.0, log=True)}, "must start above 0"),
    ({"optimizer": ["sgd", "lbfgs"]}, "bad value for 'optimizer'"),
    ({"lr": Range(1e-9, 1.0)}, "bad value for 'lr'"),
])
def test_bad_space_is_refused_naming_the_field(space, words):
    with pytest.raises(ValueError, match=words):
        search.make_trials(space, 4)
