"""The Search view under streamlit.testing: start a search, see its table, use the best trial."""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 30
SEARCH_S = 60  # the trials run on the search's own thread; the test reruns until they are done


def open_search(**query):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"view": "Search", "search_where": "thread", "search_trials": "6",
                            **query})
    at.run()
    assert not at.exception
    return at


def button(at, label):
    return next(b for b in at.button if b.label.startswith(label))


def run_until_done(at):
    """Rerun (``run_every`` never ticks here) until the search has finished."""
    deadline = time.monotonic() + SEARCH_S
    while not at.session_state["search"].done and time.monotonic() < deadline:
        time.sleep(0.1)
    at.run()
    assert at.session_state["search"].done


def test_search_view_starts_with_its_default_choices():
    at = open_search()
    assert at.multiselect(key="search_fields").value == ["lr", "batch_size", "optimizer"]
    assert at.select_slider(key="search_lr").value == (1e-4, 10.0)
    assert "Pick what to vary" in at.info[0].value


def test_a_search_fills_the_table_sorted_by_validation_loss():
    at = open_search()
    button(at, "Start the search").click().run()
    assert not at.exception
    run_until_done(at)
    table = at.dataframe[0].value
    assert len(table) == 6
    assert list(table["val_loss"].dropna()) == sorted(table["val_loss"].dropna())
    assert "6 of 6 trials done; finished" in at.get("progress")[0].proto.text


def test_use_best_puts_the_best_trial_into_the_sidebar():
    at = open_search()
    button(at, "Start the search").click().run()
    run_until_done(at)
    best = at.dataframe[0].value.iloc[0]
    button(at, "Use best").click().run()
    assert not at.exception
    assert at.session_state["lr"] == best["lr"]
    assert at.session_state["optimizer"] == best["optimizer"]
    assert at.session_state["batch_size"] == best["batch_size"]
    assert at.selectbox(key="optimizer").value == best["optimizer"]
    assert "now holds the settings of trial" in at.success[0].value


def test_a_search_with_nothing_to_vary_says_what_to_do():
    at = open_search()
    at.multiselect(key="search_fields").set_value([]).run()
    button(at, "Start the search").click().run()
    assert not at.exception
    assert "Pick at least one setting to vary" in at.error[0].value
