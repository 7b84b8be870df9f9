"""The dashboard under streamlit.testing: clicks, settings, uploads, and what they show."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lossdash.config import RunConfig
from lossdash.ui.text import WORD_JOINER
from tests.helpers import live_figures, live_metrics, live_panels

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 60  # seconds per run: Step trains a whole epoch


def start(**query):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = str(value)
    at.run()
    assert not at.exception
    return at


def shown(markdown):
    """Markdown as the page shows it: user text in it is escaped (lossdash.ui.text.inert)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


def metric(at, label):
    return live_metrics(at)[label]


def button(at, label):
    return next(b for b in at.button if b.label == label)


def plotly_specs(at):
    """Every figure on the page: st.plotly_chart specs and the live panels' charts."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")] + list(
        live_figures(at).values())


def values(array):
    """A trace's data array: plotly sends numpy arrays as base64 typed arrays."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


def trace_names(at):
    return [{t.get("name") for t in spec["data"]} for spec in plotly_specs(at)]


def test_app_starts_with_metrics_and_charts():
    at = start()
    assert not at.error
    assert list(live_metrics(at)) == ["Epoch", "Train loss", "Validation loss", "R²", "Steps/s"]
    assert metric(at, "Epoch") == "0"
    assert len(live_figures(at)) >= 4


def test_step_advances_the_epoch_and_the_loss_falls():
    at = start()
    losses = [float(metric(at, "Train loss"))]
    for epoch in range(1, 4):
        button(at, "Step").click().run()
        assert not at.exception
        assert metric(at, "Epoch") == str(epoch)
        losses.append(float(metric(at, "Train loss")))
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0]


def test_reset_goes_back_to_epoch_zero():
    at = start()
    button(at, "Step").click().run()
    button(at, "Reset").click().run()
    assert metric(at, "Epoch") == "0"
    assert at.session_state["run"].trainer.step_count == 0


def test_changing_the_data_or_model_resets_the_run():
    at = start()
    button(at, "Step").click().run()
    assert metric(at, "Epoch") == "1"
    at.slider(key="n_samples").set_value(200).run()
    assert metric(at, "Epoch") == "0"
    button(at, "Step").click().run()
    at.radio(key="model").set_value("mlp").run()
    assert not at.exception
    assert metric(at, "Epoch") == "0"
    assert at.session_state["run"].trainer.model.kind == "mlp"


def test_learning_rate_change_keeps_the_run():
    at = start()
    button(at, "Step").click().run()
    trainer = at.session_state["run"].trainer
    at.number_input(key="lr").set_value(0.1).run()
    assert at.session_state["run"].trainer is trainer
    assert metric(at, "Epoch") == "1"
    button(at, "Step").click().run()
    assert trainer.history["lr"].tolist() == [0.5, 0.1]


def test_classification_offers_only_classification_losses():
    at = start(dataset="moons")
    options = at.selectbox(key="loss").options
    assert set(options) == {"bce", "cross_entropy", "hinge"}
    assert at.selectbox(key="loss").value == "bce"
    assert list(live_metrics(at))[3] == "Accuracy"


def test_good_csv_upload_builds_the_dataset():
    at = start(dataset="csv")
    rows = "\n".join(f"{i},{(i * 7) % 11},{'big' if i > 20 else 'small'}" for i in range(40))
    csv = f"a,b,size\n{rows}\n".encode()
    at.file_uploader(key="csv_file").upload("points.csv", csv, "text/csv").run()
    assert not at.exception and not at.error
    run = at.session_state["run"]
    assert run.dataset.task == "classification"
    assert run.dataset.classes == ["big", "small"]
    assert run.dataset.feature_names == ["a", "b"]
    assert metric(at, "Epoch") == "0"


def test_broken_csv_shows_an_error_and_keeps_the_last_good_data():
    at = start(dataset="csv")
    good = "x,y\n" + "\n".join(f"{i},{2 * i + 1}" for i in range(30))
    at.file_uploader(key="csv_file").upload("good.csv", good.encode(), "text/csv").run()
    good_run = at.session_state["run"]
    at.file_uploader(key="csv_file").set_value(("bad.csv", b"x,y\n", "text/csv")).run()
    assert not at.exception
    assert at.error and "bad.csv" in at.error[0].value
    assert at.session_state["run"] is good_run
    assert len(live_figures(at)) >= 4


def test_text_feature_error_names_the_column():
    at = start(dataset="csv")
    text = "price,city,y\n" + "\n".join(f"{i},{'ab'[i % 2]}town,{i}" for i in range(20))
    at.file_uploader(key="csv_file").upload("t.csv", text.encode(), "text/csv").run()
    features = next(m for m in at.multiselect if m.label == "Feature columns")
    features.set_value(["price", "city"]).run()
    assert not at.exception
    assert any("city" in e.value for e in at.error)


def test_learning_rate_50_ends_with_a_divergence_message():
    at = start(lr=50)
    for _ in range(3):
        if at.session_state["run"].trainer.done:
            break
        button(at, "Step").click().run()
    assert not at.exception
    assert at.session_state["run"].trainer.status == "diverged"
    text = " ".join(e.value for e in at.error)
    assert "diverged" in text and "above the stability line" in text


def test_bad_hidden_layers_show_an_error_and_keep_the_run():
    at = start(model="mlp")
    run = at.session_state["run"]
    at.text_input(key="hidden").set_value("8,banana").run()
    assert not at.exception
    assert any("hidden layers" in e.value for e in at.error)
    assert at.session_state["run"] is run


def test_figure_specs_hold_the_expected_traces():
    at = start()
    button(at, "Step").click().run()
    names = trace_names(at)
    assert any({"train loss", "val loss"} <= n for n in names)
    assert any({"W1[0,0]", "b1[0]"} <= n for n in names)
    assert any("gradient norm" in n for n in names)
    assert any("model" in n for n in names)


def test_classification_draws_a_decision_boundary():
    at = start(dataset="circle", model="mlp")
    specs = plotly_specs(at)
    assert any(t["type"] in ("heatmap", "contour") for s in specs for t in s["data"])


def test_url_values_reproduce_a_setup():
    at = start(dataset="moons", optimizer="adam", lr="0.01", seed="3", batch_size="16")
    cfg = at.session_state["run"].cfg
    assert (cfg.dataset, cfg.optimizer, cfg.lr, cfg.seed, cfg.batch_size) == (
        "moons", "adam", 0.01, 3, 16)
    assert at.selectbox(key="optimizer").value == "adam"


def test_nonsense_url_values_fall_back_to_defaults_with_a_notice():
    at = start(optimizer="warp_drive", lr="-3", n_samples="lots", color="red")
    cfg = at.session_state["run"].cfg
    assert (cfg.optimizer, cfg.lr, cfg.n_samples) == ("sgd", 0.5, 100)
    notice = shown(" ".join(w.value for w in at.warning))
    for word in ("optimizer", "lr", "n_samples", "color"):
        assert word in notice
    assert "could not convert" not in notice


def test_bad_hidden_layers_in_the_url_fall_back_to_the_default():
    at = start(model="mlp", hidden="8,x")
    assert not at.exception
    assert at.text_input(key="hidden").value == "8,8"
    assert at.session_state["run"].trainer.model.sizes == (1, 8, 8, 1)
    assert "hidden" in " ".join(w.value for w in at.warning)


def test_a_second_csv_with_other_columns_gets_its_own_choices():
    at = start(dataset="csv")
    at.file_uploader(key="csv_file").upload("a.csv", b"x,y\n" + b"\n".join(
        f"{i},{2 * i}".encode() for i in range(20)), "text/csv").run()
    at.file_uploader(key="csv_file").set_value(("b.csv", b"temp,rain,out\n" + b"\n".join(
        f"{i},{i % 4},{3 * i}".encode() for i in range(20)), "text/csv")).run()
    assert not at.exception and not at.error
    assert at.session_state["run"].dataset.feature_names == ["temp", "rain"]


def test_a_loss_that_does_not_fit_the_url_data_is_named():
    at = start(loss="hinge")
    assert "hinge" in " ".join(w.value for w in at.warning)
    assert at.session_state["run"].cfg.loss == "mse"


@pytest.mark.parametrize("view", ["Loss shapes", "Compare", "LR finder"])
def test_every_view_opens_without_exceptions(view):
    at = start(view=view)
    assert not at.exception


def landscape_path_length(at):
    for spec in plotly_specs(at):
        title = spec["layout"].get("title", {}).get("text", "")
        if "landscape" in title.lower() or "random directions" in title.lower():
            path = next(t for t in spec["data"] if t.get("name") == "path")
            return len(values(path["x"]))
    raise AssertionError("no landscape chart")


@pytest.mark.parametrize("query", [{}, {"model": "mlp", "dataset": "moons", "hidden": "6"}],
                         ids=["exact", "random-directions"])
def test_landscape_path_grows_with_training(query):
    at = start(**query)
    before = landscape_path_length(at)
    button(at, "Step").click().run()
    button(at, "Step").click().run()
    assert not at.exception
    assert landscape_path_length(at) > before


def test_exact_landscape_is_a_contour_with_the_minimum_marked():
    at = start()
    spec = next(s for s in plotly_specs(at) if "landscape" in
                s["layout"].get("title", {}).get("text", "").lower())
    types = {t["type"] for t in spec["data"]}
    assert "contour" in types
    assert any(t.get("name") == "minimum" for t in spec["data"])


def test_three_d_surface_toggle():
    at = start(ls_style="surface")
    spec = next(s for s in plotly_specs(at) if "landscape" in
                s["layout"].get("title", {}).get("text", "").lower())
    assert "surface" in {t["type"] for t in spec["data"]}


def test_compare_view_trains_every_variant_on_the_same_start():
    at = start(view="Compare", cmp_optimizers="sgd")
    at.multiselect(key="cmp_optimizers").set_value(["sgd", "momentum", "adam"]).run()
    next(b for b in at.button if b.label == "Start 3 runs").click().run()
    assert not at.exception and not at.error
    comp = at.session_state["compare"]
    assert comp.labels == ["sgd", "momentum", "adam"]
    first = comp.trainers[0].initial_theta
    assert all((t.initial_theta == first).all() for t in comp.trainers)
    table = at.dataframe[0].value
    assert list(table["run"]) == comp.labels


def test_lr_finder_suggestion_can_be_used():
    at = start(view="LR finder")
    next(b for b in at.button if b.label == "Run the range test").click().run()
    use = next(b for b in at.button if b.label.startswith("Use "))
    suggested = float(use.label.split()[-1])
    use.click().run()
    assert not at.exception
    assert at.session_state["run"].trainer.base_lr == pytest.approx(suggested)
    assert at.number_input(key="lr").value == pytest.approx(suggested)


def test_imported_setup_fills_every_setting():
    from lossdash.config import RunConfig

    wanted = RunConfig(dataset="moons", loss="hinge", optimizer="adam", lr=0.02, seed=4,
                       batch_size=16)
    at = start()
    at.file_uploader(key="setup_file").upload("setup.json", wanted.to_json().encode(),
                                              "application/json").run()
    assert not at.exception
    assert any("Loaded the setup" in s.value for s in at.success)
    assert at.session_state["run"].cfg == wanted


def test_a_bad_setup_file_is_refused_and_changes_nothing():
    at = start()
    run = at.session_state["run"]
    bad = b'{"lossdash_config": 1, "optimizer": "warp", "lr": -4}'
    at.file_uploader(key="setup_file").upload("bad.json", bad, "application/json").run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "bad.json" in message and "optimizer" in message and "lr" in message
    assert at.session_state["run"] is run


def test_uploaded_csv_is_previewed():
    at = start(dataset="csv")
    rows = "\n".join(f"{i},{i % 3}" for i in range(30))
    csv = f"x,kind\n{rows}\n".encode()
    at.file_uploader(key="csv_file").upload("tiny.csv", csv, "text/csv").run()
    assert not at.exception
    assert any("tiny.csv" in e.label and "classification into 3 classes" in e.label
               for e in at.expander)
    assert at.dataframe[0].value.shape == (30, 2)


def test_shapes_view_settings_in_the_url_give_no_notice():
    at = start(view="Loss shapes", shape_task="classification", outliers_k="3",
               start_x_rosenbrock="-1", race_lr_adam="0.1")
    assert not at.warning
    assert at.radio(key="shape_task").value == "classification"


def test_the_loss_shapes_view_draws_every_loss_and_the_outlier_fits():
    from lossdash import losses

    at = start(view="Loss shapes")
    figures = live_figures(at)
    for chart_id in ("shape_values", "shape_grads"):
        shapes = figures[chart_id]
        assert [t["name"] for t in shapes["data"]] == losses.names("regression")
        assert len(shapes["layout"]["shapes"]) == 2  # the zero lines r = 0 and l = 0
    # k = 5 outliers, seed 0: they tilt the MSE line; MAE and Huber stay near w = 3, b = 0.5
    assert [t["name"] for t in figures["outlier_chart"]["data"]] == [
        "data", "outliers", "true: y = 3x + 0.5", "mse: y = 0.93x + 1.11",
        "mae: y = 3.24x + 0.40", "huber: y = 3.03x + 0.46"]


def test_share_link_carries_an_imported_setup_whole():
    from urllib.parse import parse_qsl

    from lossdash.config import RunConfig, from_dict

    wanted = RunConfig(dataset="moons", loss="bce", model="mlp", hidden="16,16",
                       activation="relu", optimizer="momentum", momentum=0.8)
    at = start()
    at.file_uploader(key="setup_file").upload("s.json", wanted.to_json().encode(),
                                              "application/json").run()
    url = at.get("link_button")[0].proto.url
    assert from_dict(dict(parse_qsl(url.split("?", 1)[1]))) == (wanted, [])


def test_a_click_sends_every_live_figure_whole_and_the_replay_has_the_new_step():
    """A run of the whole page may be cut short by the next one, so it never sends a patch
    (fragment ticks do: tests/charts/test_stream.py, tests/e2e/test_live.py)."""
    at = start()
    button(at, "Step").click().run()
    button(at, "Step").click().run()
    fast = live_panels(at)["live-fast"]
    loss = next(c for c in fast["charts"] if c["id"] == "fast/loss")
    assert loss["msg"]["full"]
    figures = live_figures(at)
    trace = next(t for t in figures["fast/loss"]["data"] if t["name"] == "train loss")
    assert len(values(trace["x"])) == 2


def test_a_run_rebuilt_while_playing_keeps_playing_and_says_why():
    at = start(max_epochs="100000", speed="1 step/s")
    button(at, "Play").click().run()
    assert at.session_state["run"].playing
    at.selectbox(key="optimizer").set_value("adam").run()
    assert not at.exception
    run = at.session_state["run"]
    assert run.cfg.optimizer == "adam" and run.playing
    assert any("optimizer changed (sgd → adam)" in t.value for t in at.toast)
    button(at, "Pause").click().run()
    assert not at.session_state["run"].playing


def test_the_csv_uploader_states_the_size_limit():
    at = start(dataset="csv")
    assert "Up to 50 MB" in at.file_uploader[0].help


def test_a_file_over_the_limit_is_refused_before_it_is_read(monkeypatch):
    from lossdash import data
    from lossdash.ui import sidebar

    def never(raw):
        raise AssertionError("the file was read")

    monkeypatch.setattr(data, "MAX_BYTES", 1000)  # the same code path as 50 MB, in 2 KB
    monkeypatch.setattr(sidebar, "read_upload", never)
    at = start(dataset="csv")
    rows = "\n".join(f"{i},{2 * i}" for i in range(300)).encode()
    at.file_uploader[0].upload("big.csv", b"x,y\n" + rows, "text/csv").run()
    assert not at.exception
    assert "big.csv" in at.error[0].value and "larger than the limit of" in at.error[0].value
    assert at.session_state["run"] is None


# --------------------------------------------------------------------------- hostile input
@pytest.mark.parametrize(
    "query",
    [{"seed": "inf"}, {"max_epochs": "inf"}, {"max_epochs": "1e309"},
     {"schedule": "step", "step_size": "-inf"}, {"view": "LR finder", "lrf_steps": "inf"}],
    ids=["seed", "max_epochs", "1e309", "step_size", "lrf_steps"],
)
def test_an_infinite_url_value_gives_a_notice_and_a_working_page(query):
    at = start(**query)
    assert not at.error
    key = next(k for k in query if k not in ("schedule", "view"))
    assert f"{key}='" in shown(at.warning[0].value)
    assert key not in at.query_params  # the bad value left the URL: a reload is clean
    assert at.session_state["run"] is not None


def test_a_bad_value_for_a_widget_drawn_later_is_gone_before_it_appears():
    at = start(model="mlp", hidden="4", step_size="inf")
    at.selectbox(key="schedule").select("step").run()
    assert not at.exception and not at.error
    assert at.number_input(key="step_size").value == RunConfig().step_size


@pytest.mark.parametrize("key", ["view", "speed", "hidden", "k" * 10_000])
def test_a_10000_character_url_value_gives_a_short_notice(key):
    at = start(**{key: "x" * 10_000})
    assert not at.error
    assert len(at.warning[0].value) < 300


def test_a_link_with_many_problems_lists_ten_then_counts_the_rest():
    at = start(**{f"extra{i}": "1" for i in range(25)})
    notice = shown(at.warning[0].value)
    assert notice.count("unknown setting") == 10 and notice.endswith("and 15 more")


def test_a_setup_file_with_a_400_digit_seed_is_refused_without_a_traceback():
    at = start()
    text = '{"lossdash_config": 1, "seed": ' + "9" * 400 + "}"
    at.file_uploader(key="setup_file").upload("big.json", text.encode(), "application/json")
    at.run()
    assert not at.exception
    assert "a 400-digit number" in shown(at.error[0].value)


def test_a_5_mb_setup_file_gets_a_short_message():
    at = start()
    text = json.dumps({"lossdash_config": 1, **{f"u{i:09d}": i for i in range(300_000)}})
    at.file_uploader(key="setup_file").upload("huge.json", text.encode(), "application/json")
    at.run()
    assert not at.exception
    assert len(at.error[0].value) < 300 and "huge" in at.error[0].value


def test_a_failing_callback_shows_a_message_and_keeps_the_run(monkeypatch):
    at = start()
    run = at.session_state["run"]
    at.file_uploader(key="setup_file").upload("s.json", b"{}", "application/json")
    monkeypatch.setattr("lossdash.config.from_json", _boom)
    at.run()
    assert not at.exception
    message = shown(" ".join(e.value for e in at.error))
    assert "Importing the setup hit an unexpected problem (RuntimeError: boom [x](y))" in message
    assert at.session_state["run"] is run


def _boom(text):
    raise RuntimeError("boom [x](y)")


def test_file_and_column_names_are_escaped_in_messages():
    at = start(dataset="csv")
    rows = "\n".join(f"{i},{i % 2}" for i in range(30))
    at.file_uploader[0].upload("[fix](http://example.com).csv",
                               f"![i](http://example.com/i.png),kind\n{rows}\n".encode(),
                               "text/csv").run()
    assert not at.exception
    label = next(e.label for e in at.expander if "fix" in e.label)
    assert rf"\[fix\]\(http:{WORD_JOINER}//example.com\).csv" in label
    caption = next(c.value for c in at.caption if c.value.startswith("Features"))
    assert rf"\!\[i\]\(http:{WORD_JOINER}//example.com/i.png\)" in caption
