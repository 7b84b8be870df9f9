"""The dashboard's training thread: it trains while playing, stops on Pause, and lets go."""

import threading
import time

import pytest

from lossdash import config
from lossdash.ui import background, state


def live_run(**settings):
    cfg = config.RunConfig(**settings)
    return state.build_run(cfg, config.make_dataset(cfg), ("gen", cfg.dataset))


def wait_until(condition, seconds=20.0):
    """Poll ``condition`` (the thread is real, so this waits on its effect, with a deadline)."""
    deadline = time.perf_counter() + seconds
    while not condition():
        if time.perf_counter() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.01)


def test_play_trains_on_a_thread_and_pause_stops_it():
    run = live_run(dataset="moons", loss="bce", batch_size=8, max_epochs=100_000)
    run.speed_limit = None
    background.start(run)
    wait_until(lambda: run.trainer.step_count > 50)
    background.stop(run)
    assert run.thread is None and not run.playing
    held = run.trainer.step_count
    assert not any(t.name == "lossdash-train" and t.is_alive() for t in threading.enumerate())
    assert run.trainer.step_count == held


def test_a_finished_run_stops_its_thread():
    run = live_run(max_epochs=5)
    run.speed_limit = None
    background.start(run)
    wait_until(lambda: not run.thread.is_alive())
    assert run.trainer.status in ("max_epochs", "converged") and not run.playing
    assert run.trainer.epoch <= 5


def test_speed_limit_is_never_exceeded():
    run = live_run(dataset="moons", loss="bce", max_epochs=100_000)
    run.speed_limit = 50
    start = time.perf_counter()
    background.start(run)
    wait_until(lambda: run.trainer.step_count >= 20)
    background.stop(run)
    elapsed = time.perf_counter() - start
    # at most the limit's rate, plus the one-second credit a limited run may start with
    assert run.trainer.step_count <= 50 * elapsed + 50


def test_an_unwatched_run_pauses_itself(monkeypatch):
    monkeypatch.setattr(background, "ORPHAN_SECONDS", 0.05)
    run = live_run(dataset="moons", loss="bce", max_epochs=100_000)
    run.speed_limit = None
    background.start(run)
    wait_until(lambda: not run.playing)
    assert run.trainer.status == "running"  # paused, not finished


def test_the_draw_and_the_thread_never_hold_the_trainer_together():
    run = live_run(dataset="moons", loss="bce", batch_size=4, max_epochs=100_000)
    run.speed_limit = None
    background.start(run)
    for _ in range(20):
        with run.lock:
            before = run.trainer.step_count
            time.sleep(0.005)
            assert run.trainer.step_count == before
    background.stop(run)


def test_a_closed_session_pauses_its_run_and_an_open_one_keeps_it_going(monkeypatch):
    monkeypatch.setattr(background, "ORPHAN_SECONDS", 0.0)  # the session check takes over
    run = live_run(dataset="moons", loss="bce", max_epochs=100_000)
    run.speed_limit = None
    open_tab = {"alive": True}
    background.start(run, lambda: open_tab["alive"])
    wait_until(lambda: run.trainer.step_count > 200)  # no frames drawn, still training
    assert run.playing
    open_tab["alive"] = False
    wait_until(lambda: not run.playing)
    background.stop(run)


def test_many_runs_take_turns_and_each_one_trains():
    runs = [live_run(dataset="moons", loss="bce", batch_size=8, max_epochs=100_000, seed=s)
            for s in range(6)]
    inside, most = [0], [0]
    real_turns = background.TURNS

    class Counting:  # counts the runs training at the same moment
        def __enter__(self):
            real_turns.__enter__()
            inside[0] += 1
            most[0] = max(most[0], inside[0])

        def __exit__(self, *exc):
            inside[0] -= 1
            real_turns.__exit__(*exc)

    background.TURNS = Counting()
    try:
        for run in runs:
            run.speed_limit = None
            background.start(run)
        wait_until(lambda: all(run.trainer.step_count > 100 for run in runs))
    finally:
        for run in runs:
            background.stop(run)
        background.TURNS = real_turns
    assert most[0] <= 2  # never more chunks at once than the turns' slots
