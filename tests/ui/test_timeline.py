"""The timeline: replay to a step, branch there, and weights files."""

import json

import numpy as np

from lossdash import weights
from tests.ui.test_app import button, plotly_specs, start


def stepped(n=5, **query):
    at = start(**query)
    for _ in range(n):
        button(at, "Step").click().run()
    assert not at.exception
    return at


def timeline_slider(at):
    return next(s for s in at.slider if s.label == "Step")


def branch_button(at):
    return next(b for b in at.button if b.label.startswith("Branch here"))


def test_the_slider_replays_the_model_to_the_chosen_step():
    at = stepped(5, lr=0.1)
    trainer = at.session_state["run"].trainer
    timeline_slider(at).set_value(2).run()
    assert not at.exception
    replayed = at.session_state["timeline_cache"][1]
    np.testing.assert_array_equal(replayed.model.theta, trainer.branch(2).model.theta)
    assert any("Step 2 (epoch 2.0)" in c.value for c in at.caption)


def test_branch_here_continues_from_that_step_with_the_new_rate_beside_the_original():
    at = stepped(5, lr=0.1)
    timeline_slider(at).set_value(2).run()
    at.number_input(key="lr").set_value(0.3).run()
    branch_button(at).click().run()
    assert not at.exception
    trainer = at.session_state["run"].trainer
    assert trainer.step_count == 2 and trainer.base_lr == 0.3
    button(at, "Step").click().run()
    assert trainer.history["lr"].tolist() == [0.1, 0.1, 0.3]
    loss = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"] == "Loss")
    assert any(t["name"].startswith("original: sgd, mse, lr=0.1") for t in loss["data"])


def test_a_new_optimizer_branches_the_previous_run():
    at = stepped(4, lr=0.1)
    at.selectbox(key="optimizer").set_value("adam").run()
    assert at.session_state["run"].trainer.step_count == 0
    button_ = branch_button(at)
    assert "previous run" in button_.help
    button_.click().run()
    assert not at.exception
    trainer = at.session_state["run"].trainer
    assert trainer.optimizer.name == "adam" and trainer.step_count == 4


def test_weights_of_another_model_are_refused_in_words():
    at = stepped(1)
    other = weights.to_json(__import__("lossdash").models.make("mlp", 1, hidden=(4,)))
    at.file_uploader(key="weights_file").upload("w.json", other.encode(), "application/json")
    at.run()
    assert not at.exception
    assert any("1 -> 4 -> 1" in e.value and "current model is 1 -> 1" in e.value
               for e in at.error)


def test_imported_weights_become_the_runs_start():
    at = stepped(1)
    doc = {"lossdash_weights": 1, "sizes": [1, 1], "params": {"W1": [[2.5]], "b1": [-1.0]}}
    at.file_uploader(key="weights_file").upload("w.json", json.dumps(doc).encode(),
                                                "application/json").run()
    assert not at.exception
    trainer = at.session_state["run"].trainer
    assert trainer.step_count == 0
    np.testing.assert_array_equal(trainer.model.theta, [2.5, -1.0])
    assert any("Loaded the weights of w.json" in s.value for s in at.success)
