"""The dashboard's entry point: page setup, URL check, sidebar, and the chosen view."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lossdash import config, data, lessons, losses
from lossdash.ui import classroom, sidebar, state, train_view
from lossdash.ui import lessons as lessons_view

ICON = Path(__file__).with_name("icon.png")  # a local file: no icon fetched from a font server
VIEWS = ["Train", "Loss shapes", "Compare", "LR finder", "Lessons"]
UI_KEYS = {  # URL keys owned by widgets outside RunConfig, with their allowed values
    "view": VIEWS,
    "speed": list(train_view.SPEEDS),
    "x_axis": ["step", "epoch"],
    "log_y": ["true", "false"],
    "show_landscape": ["true", "false"],
    "smoothing": None,
    "lesson": list(lessons.BY_KEY),
    "classroom": ["true", "false"],
    # compare and LR-finder choices: Streamlit checks them against their widgets' options
    **dict.fromkeys(["cmp_optimizers", "cmp_lrs", "cmp_losses", "cmp_batches",
                     "cmp_line_search", "lrf_min", "lrf_max", "lrf_steps", "sw_min", "sw_max",
                     "sw_k", "sw_epochs", "surface", "surface_steps", "surface_opts",
                     "surface_style", "shape_task", "huber_delta", "outliers_k", "outliers_seed",
                     "ls_style", "ls_log"]),
}


UI_PREFIXES = ("start_x_", "start_y_", "race_lr_")  # per-surface and per-optimizer choices


def url_notices(params):
    """Problems with the URL the session opened with (values that fell back to defaults)."""
    run_values = {k: v for k, v in params.items()
                  if k not in UI_KEYS and not k.startswith(UI_PREFIXES)}
    _, problems = config.from_dict(run_values)
    for key, allowed in UI_KEYS.items():
        known = [a.lower() for a in allowed or ()]
        if allowed and key in params and str(params[key]).lower() not in known:
            problems.append(f"{key}={params[key]!r} is not one of {', '.join(allowed)}; "
                            "using the default")
    dataset = run_values.get("dataset", config.RunConfig().dataset)
    loss = run_values.get("loss")
    if dataset in data.GENERATORS and loss in losses.names():
        task = data.GENERATORS[dataset][1]
        if losses.get(loss).task != task:
            problems.append(f"loss={loss!r} does not fit the {task} data set {dataset!r}; "
                            "using that task's default loss")
    if run_values.get("dataset") == "csv":
        problems.append("this link used an uploaded CSV, which links cannot carry: "
                        "upload the file again")
    return problems


def check_url_once():
    """Validate the URL before the widgets read it (they silently drop invalid values).

    A field whose URL value is unusable gets its default through session state, so the widget
    shows what is used and the URL loses the bad value.
    """
    ss = st.session_state
    if ss.url_checked:
        return
    ss.url_checked = True
    params = st.query_params.to_dict()
    problems = url_notices(params)
    if problems:
        ss.url_problems = problems
    default = config.RunConfig()
    ss.url_resets = {
        key: getattr(default, key)
        for key in params
        if key in config.RunConfig.__dataclass_fields__
        and any(p.startswith(f"{key}=") for p in problems)
    }
    # A link naming a generated set gets its recommended setup, a lesson link the lesson's;
    # what the link names wins. Written before any widget exists, so this first run uses them
    # (a later rerun could race with the page sending back its first widget values).
    for key, value in {**config.recommended_changes(params.get("dataset"), params),
                       **lessons.url_changes(params.get("lesson"), params)}.items():
        ss[key] = value
    if params.get("lesson") in lessons.BY_KEY:
        ss.lesson = params["lesson"]


def apply_url_resets():
    """Give fields whose URL value was unusable their defaults.

    A widget takes its first value from the URL whatever session state says, so the defaults
    are written on the run after the first (``rerun_for_url_resets`` asks for it); from then
    on the widgets show what is used and the URL drops the bad values.
    """
    ss = st.session_state
    if ss.get("url_resets") and ss.get("url_resets_due"):
        for key, value in ss.url_resets.items():
            ss[key] = value
        ss.url_resets = None


def rerun_for_url_resets():
    ss = st.session_state
    if ss.get("url_resets") and not ss.get("url_resets_due"):
        ss.url_resets_due = True
        st.rerun()


def show_url_notice():
    problems = st.session_state.get("url_problems")
    if problems and st.session_state.csv is not None:  # the CSV has been uploaded again
        problems = [p for p in problems if "uploaded CSV" not in p]
    if problems:
        st.warning("Some settings in this link could not be used:\n\n" +
                   "\n".join(f"- {p}" for p in problems), icon=":material/link_off:")


def current_run(cfg, dataset, token, problem):
    """The run to show: rebuilt or updated from the settings, or the last good one."""
    ss = st.session_state
    if problem:
        if ss.run is not None:
            st.error(f"{problem}. The last good run is kept.")
            return ss.run
        st.error(f"{problem}. Until then the default hidden layers ({cfg.hidden}) are used.")
    if dataset is None:
        if cfg.dataset == "csv":
            st.info("Upload a CSV file in the sidebar (first row: column names). "
                    "The last column is the target unless you pick another.",
                    icon=":material/upload_file:")
        return ss.run
    try:
        return state.sync_run(cfg, dataset, token)
    except (data.DataError, config.ConfigError, ValueError) as err:
        st.error(f"This setup cannot be trained: {err}. The last good run is kept.")
        return ss.run


def csv_preview(upload):
    """What was read from the uploaded file, and what lossdash made of it."""
    ds = upload["dataset"]
    kind = (f"classification into {ds.n_classes} classes ({', '.join(ds.classes[:10])})"
            if ds.task == "classification" else "regression")
    with st.expander(f"Data: {upload['name']}: {ds.n_samples:,} rows, target "
                     f"'{ds.target_name}', {kind}", icon=":material/table:", expanded=True):
        st.caption(f"Features: {', '.join(ds.feature_names)}")
        for note in ds.notes:
            st.caption(note)
        st.dataframe(upload["frame"].head(50), width="stretch")


def body():
    state.init_state()
    check_url_once()
    apply_url_resets()
    cfg, dataset, token, problem = sidebar.read_config()
    rerun_for_url_resets()
    head, mode = st.columns([4, 1], vertical_alignment="bottom")
    head.title("lossdash")
    with mode:
        in_class = classroom.toggle()
    if in_class:
        classroom.apply()
    st.caption("Watch a loss function and gradient descent train a model, step by step.")
    show_url_notice()
    lessons_view.card()
    view = st.segmented_control("View", VIEWS, default="Train", key="view", bind="query-params",
                                label_visibility="collapsed") or "Train"
    run = current_run(cfg, dataset, token, problem)
    if cfg is not None and cfg.dataset == "csv" and st.session_state.csv is not None:
        csv_preview(st.session_state.csv)
    if view == "Lessons":
        lessons_view.render()
    elif view == "Train":
        if run is not None:
            train_view.render(run)
    elif view == "Loss shapes":
        from lossdash.ui import shapes_view

        shapes_view.render(run)
    else:
        from lossdash.ui import compare_view

        compare_view.render(view, cfg, run)


def main():
    st.set_page_config(page_title="lossdash", page_icon=str(ICON), layout="wide",
                       initial_sidebar_state="collapsed" if classroom.requested() else "auto")
    try:
        body()
    except Exception as err:  # the last line of defence: a message, never a traceback
        st.error(
            f"lossdash hit a problem it did not expect ({type(err).__name__}: {err}). "
            "Your settings are kept: press Reset, or undo the last change.",
            icon=":material/error:",
        )
