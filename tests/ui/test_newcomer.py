"""What a newcomer tripped on (issue 11, item 5): each fix seen in the running app."""

import numpy as np
import pytest

from tests.ui.test_app import button, plotly_specs, start


def caption_texts(at):
    return [c.value for c in at.caption]


def test_line_search_says_what_it_ignores_and_greys_it_out():
    at = start(optimizer="adam", line_search="true", batch_size="16")
    assert not at.exception
    note = next(c for c in caption_texts(at) if c.startswith("Line search on"))
    assert "not adam's update rule" in note and "batches of 16" in note
    for key in ("beta1", "beta2", "weight_decay", "clip_norm"):
        assert at.number_input(key=key).disabled, key
    assert not at.number_input(key="lr").disabled


def test_without_line_search_the_optimizer_settings_are_live():
    at = start(optimizer="adam")
    assert not any(c.startswith("Line search on") for c in caption_texts(at))
    assert not at.number_input(key="beta1").disabled


@pytest.mark.parametrize("loss", ["hinge", "bce"])
def test_a_binary_loss_on_three_blobs_gets_a_notice(loss):
    at = start(dataset="blobs", loss=loss)
    assert any(f"loss={loss!r} takes two classes" in w.value and "'blobs' has 3" in w.value
               for w in at.warning)
    assert at.session_state["run"].cfg.loss == "cross_entropy"


def test_csv_without_a_file_shows_the_upload_prompt_only():
    at = start()
    button(at, "Step").click().run()
    at.selectbox(key="dataset").set_value("csv").run()
    assert not at.exception
    assert any("Upload a CSV file" in i.value for i in at.info)
    assert not at.get("plotly_chart") and not at.metric
    assert not [b for b in at.button if b.label in ("Play", "Step")]


def test_classes_forced_on_a_measured_target_warn():
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{w:.3f},{length:.1f}" for w, length in
                     zip(rng.normal(size=150), rng.uniform(4.3, 7.9, 150), strict=True))
    at = start(dataset="csv")
    at.file_uploader[0].upload("iris.csv", f"width,sepal_length\n{rows}\n".encode(),
                               "text/csv").run()
    assert not at.warning
    next(s for s in at.selectbox if s.label == "Task").set_value("classification").run()
    assert not at.exception
    assert any("'sepal_length'" in w.value and "regression" in w.value for w in at.warning)


def test_text_cells_in_a_number_column_are_named_and_their_rows_can_be_dropped():
    ages = [str(20 + i) for i in range(30)]
    ages[4], ages[17] = "unknown", "forty"
    rows = "\n".join(f"{a},{i % 7},{2 * i}" for i, a in enumerate(ages))
    at = start(dataset="csv")
    at.file_uploader[0].upload("people.csv", f"age,x,y\n{rows}\n".encode(), "text/csv").run()
    assert not at.exception
    features = next(m for m in at.multiselect if m.label == "Feature columns")
    assert features.value == ["age", "x"]
    error = at.error[0].value
    assert "'age'" in error and "2 cells" in error and "'unknown' in data row 5" in error
    button(at, "Drop those rows").click().run()
    assert not at.exception and not at.error
    assert at.session_state["run"].dataset.n_samples == 28


def test_link_to_this_setup_has_a_path_before_the_query():
    at = start(lr="0.1")
    assert at.get("link_button")[0].proto.url.startswith("/?")


def test_the_epoch_axis_choice_reaches_the_gradient_and_weight_charts():
    at = start(x_axis="epoch", batch_size="16")
    button(at, "Step").click().run()
    titles = {spec["layout"]["title"]["text"]: spec["layout"]["xaxis"]["title"]["text"]
              for spec in plotly_specs(at) if "title" in spec["layout"]}
    assert titles["Loss"] == titles["Gradient and update size"] == "epoch"
    assert titles["Parameters"] == "epoch"


def _sweep(final, diverged=None):
    from lossdash.explore.lrfind import SweepResult

    k = len(final)
    return SweepResult(lrs=np.geomspace(1e-3, 1.0, k), final_loss=np.asarray(final, float),
                       diverged=np.zeros(k, bool) if diverged is None else np.asarray(diverged),
                       diverged_epoch=np.full(k, np.nan), epoch_loss=np.zeros((k, 2)),
                       thetas=np.zeros((k, 2)), epochs=2)


def test_a_sweep_best_at_the_top_of_its_range_says_to_raise_it():
    from lossdash.ui.compare_view import sweep_edge_note

    note = sweep_edge_note(_sweep([5.0, 3.0, 1.0, 0.5]))
    assert "largest one tried" in note and "'To' higher" in note and "1," in note


def test_a_sweep_best_at_the_bottom_says_to_lower_it_and_inside_says_nothing():
    from lossdash.ui.compare_view import sweep_edge_note

    assert "'From' lower" in sweep_edge_note(_sweep([0.1, 3.0, 9.0], [0, 0, 1]))
    assert sweep_edge_note(_sweep([5.0, 0.2, 1.0, 9.0])) is None
    assert sweep_edge_note(_sweep([1.0, 2.0], [1, 1])) is None  # nothing converged


def test_a_sweep_in_the_app_warns_when_its_best_rate_is_the_edge():
    at = start(view="LR finder", sw_max="0.01", sw_k="4", sw_epochs="5")
    button(at, "Run the sweep").click().run()
    assert not at.exception
    assert any("largest one tried" in w.value for w in at.warning)


def test_compare_table_names_its_metric():
    at = start(view="Compare")
    next(b for b in at.button if b.label.startswith("Start")).click().run()
    assert not at.exception
    assert list(at.dataframe[0].value.columns) == ["run", "status", "epoch", "train loss",
                                                   "val loss", "val R²"]


def test_the_huber_slider_shows_only_where_huber_is_drawn():
    at = start(view="Loss shapes")
    assert [s.label for s in at.slider if s.key == "huber_delta"] == ["Huber δ"]
    at.radio(key="shape_task").set_value("classification").run()
    assert not at.exception
    assert not [s for s in at.slider if s.key == "huber_delta"]
    assert any("bce and cross_entropy are one loss" in c for c in caption_texts(at))
