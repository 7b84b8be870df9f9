"""The dashboard's entry point: page setup, URL check, sidebar, and the chosen view."""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st

from lossdash import config, data, lessons, losses
from lossdash.ui import background, classroom, fragments, guard, sidebar, state, train_view
from lossdash.ui import lessons as lessons_view
from lossdash.ui.text import inert

ICON = Path(__file__).with_name("icon.png")  # a local file: no icon fetched from a font server
VIEWS = ["Train", "Loss shapes", "Compare", "LR finder", "Search", "Lessons"]
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


UI_PREFIXES = ("start_x_", "start_y_", "race_lr_", "search_")  # per-surface, -optimizer, search
KNOWN_KEYS = {*config.FIELDS, *UI_KEYS, None}


def url_problems(params):
    """Problems with the URL the session opened with: ``[(key, notice)]``, key None for a
    notice about the whole link. Each notice says what is used instead."""
    problems = []
    for key, raw in params.items():
        if key in config.FIELDS:
            try:
                config.read_value(key, raw)
            except (ValueError, config.ConfigError) as err:
                problems.append((key, config.value_problem(key, raw, err)))
        else:
            notice = ui_value_problem(key, raw)
            if notice:
                problems.append((key, notice))
    dataset = params.get("dataset", config.RunConfig().dataset)
    loss = params.get("loss")
    bad = {key for key, _ in problems}
    if dataset in data.GENERATORS and loss in losses.names() and not bad & {"dataset", "loss"}:
        task = data.GENERATORS[dataset][1]
        if losses.get(loss).task != task:
            problems.append(("loss", f"loss={loss!r} does not fit the {task} data set "
                             f"{dataset!r}; using that task's default loss"))
        else:
            problems += [("loss", notice) for notice in class_count_notice(dataset, loss)]
    if dataset == "csv":
        problems.append((None, "this link used an uploaded CSV, which links cannot carry: "
                               "upload the file again"))
    # Settings that fell back to defaults first: a notice cut after ten must still show them.
    return sorted(problems, key=lambda problem: problem[0] not in KNOWN_KEYS)


def hostile(key, raw):
    """A URL value no widget may read: longer than any setting, or a number beyond floats
    (Streamlit's own URL binding of a whole-number input fails on ``inf``)."""
    text = str(raw)
    if len(key) > config.MAX_TEXT or len(text) > config.MAX_TEXT:
        return f"is {max(len(key), len(text)):,} characters long (at most {config.MAX_TEXT})"
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isfinite(number) else "is not a finite number"


def ui_value_problem(key, raw):
    """The notice for a URL key outside RunConfig (a view's choice), or None if it is fine."""
    shown = f"{config.shorten(key)}={config.shorten(raw)!r}"
    allowed = UI_KEYS.get(key)
    if key not in UI_KEYS and not key.startswith(UI_PREFIXES):
        return f"unknown setting {config.shorten(key)!r} was ignored"
    why = hostile(key, raw)
    if why:
        return f"{shown} {why}; using the default"
    if allowed and str(raw).lower() not in [a.lower() for a in allowed]:
        return f"{shown} is not one of {', '.join(allowed)}; using the default"
    return None


def url_notices(params):
    """Problems with the URL the session opened with (values that fell back to defaults)."""
    return [notice for _, notice in url_problems(params)]


def class_count_notice(dataset, loss):
    """A loss of the right task that cannot take this generated set's number of classes
    (hinge or bce on the three blobs) as a one-item list, else an empty one."""
    sample = data.generate(dataset, n_samples=30)  # the number of classes is the generator's
    if sample.n_classes is None or loss in config.compatible_losses(sample):
        return []
    return [f"loss={loss!r} takes two classes, and the data set {dataset!r} has "
            f"{sample.n_classes}; using 'cross_entropy'"]


def check_url_once():
    """Before any widget reads the URL: drop its unusable values, and keep the notices.

    A widget bound to the URL takes its first value from it, converted by Streamlit itself
    (``inf`` in a whole-number field raised OverflowError there, before any check of ours). So
    at the top of a session's first run every unusable value is deleted from the URL, even for
    widgets not drawn yet, and the run starts again on the clean URL: the widgets then start
    from their defaults, which is what the notice says is used.
    """
    ss = st.session_state
    if ss.url_checked:
        return
    ss.url_checked = True
    params = st.query_params.to_dict()
    problems = url_problems(params)
    if problems:
        ss.url_problems = [notice for _, notice in problems]
    unusable = [key for key, _ in problems if key is not None and (
        key in config.FIELDS or key in UI_KEYS or hostile(key, params[key]))]
    clean = {k: v for k, v in params.items() if k not in unusable}
    # A link naming a generated set gets its recommended setup, a lesson link the lesson's;
    # what the link names wins. Written before any widget exists, so this first run uses them
    # (a later rerun could race with the page sending back its first widget values).
    for key, value in {**config.recommended_changes(clean.get("dataset"), clean),
                       **lessons.url_changes(clean.get("lesson"), clean)}.items():
        ss[key] = value
    if clean.get("lesson") in lessons.BY_KEY:
        ss.lesson = clean["lesson"]
    if unusable:
        for key in unusable:
            del st.query_params[key]
        st.rerun()


def show_url_notice():
    problems = st.session_state.get("url_problems")
    if problems and st.session_state.csv is not None:  # the CSV has been uploaded again
        problems = [p for p in problems if "uploaded CSV" not in p]
    if problems:
        st.warning("Some settings in this link could not be used:\n\n" +
                   "\n".join(f"- {inert(p)}" for p in config.listed(problems)),
                   icon=":material/link_off:")


def current_run(cfg, dataset, token, problem):
    """The run to show: rebuilt or updated from the settings, or the last good one."""
    ss = st.session_state
    if problem:
        if ss.run is not None:
            st.error(f"{inert(problem)}. The last good run is kept.")
            return ss.run
        st.error(f"{inert(problem)}. Until then the default hidden layers ({cfg.hidden}) are "
                 "used.")
    if dataset is None:
        if cfg.dataset == "csv":
            st.info("Upload a CSV file in the sidebar (first row: column names). "
                    "The last column is the target unless you pick another.",
                    icon=":material/upload_file:")
            # The prompt alone: the previous generated set is neither shown nor trained.
            if ss.run is not None:
                background.stop(ss.run)
            return None
        return ss.run
    try:
        return state.sync_run(cfg, dataset, token)
    except (data.DataError, config.ConfigError, ValueError) as err:
        st.error(f"This setup cannot be trained: {inert(err)}. The last good run is kept.")
        return ss.run


def csv_preview(upload):
    """What was read from the uploaded file, and what lossdash made of it (the file's own
    names shown as text, never as Markdown)."""
    ds = upload["dataset"]
    kind = (f"classification into {ds.n_classes} classes "
            f"({inert(', '.join(map(str, ds.classes[:10])))})"
            if ds.task == "classification" else "regression")
    with st.expander(f"Data: {inert(upload['name'])}: {ds.n_samples:,} rows, target "
                     f"'{inert(ds.target_name)}', {kind}", icon=":material/table:",
                     expanded=True):
        st.caption(f"Features: {inert(', '.join(map(str, ds.feature_names)))}")
        for note in ds.notes:
            st.caption(inert(note))
        st.dataframe(upload["frame"].head(50), width="stretch")


def body():
    state.init_state()
    check_url_once()
    early = settings_before_sidebar()
    cfg, dataset, token, problem = early or sidebar.read_config()
    # a row that wraps, not columns: at 1024 px a fifth of the page cut "Classroom mode" short
    top = st.container(horizontal=True, horizontal_alignment="distribute",
                       vertical_alignment="bottom")
    top.title("lossdash", width="content")
    with top:
        in_class = classroom.toggle()
    if in_class:
        classroom.apply()
    st.caption("Watch a loss function and gradient descent train a model, step by step.")
    guard.show_messages()
    show_url_notice()
    lessons_view.card()
    run = current_run(cfg, dataset, token, problem)
    guard.show_run_problem(run)
    st.session_state[PAGE] = (cfg, run)
    st.session_state[SIDEBAR_LATER] = bool(early)
    fragments.fragment(_views, key=VIEWS_KEY)()


def settings_before_sidebar():
    """On a session's first Train view in a browser (``train_view.first_paint``), the
    settings read without drawing the sidebar (``sidebar.settings_now``), else None.

    The page's one core renders every element a run sends before the live charts' script
    runs, and the sidebar is over half of them: without it the first chart came 1.68 ->
    0.89 s after the page opened (medians of 5, two alternating pairs, server and browser on
    a core each). The sidebar is drawn by the run that follows the first chart. Its first
    line is drawn now, so the page has its final width and does not shift when it fills.
    """
    ss = st.session_state
    view = ss.get("view") or st.query_params.get("view") or "Train"
    if view != "Train" or not train_view.first_paint():
        return None
    early = sidebar.settings_now()
    if early:
        st.sidebar.header("Data")
    return early


PAGE = "page_read"  # session key: the settings and the run the page's last run drew from
SIDEBAR_LATER = "sidebar_later"  # the page's last run left the sidebar for the next one
VIEWS_KEY = "views"  # the views' fragment


@guard.fragment("The view")
def _views():
    """The view picker and the chosen view, as one fragment: switching views, and a click in
    a view, rerun this part alone. The sidebar and the header above are not sent again (the
    sidebar is half of the page's elements, and the browser redraws every element a run
    sends). The settings are the ones the page's last run read from the sidebar; a callback
    that changes them (a lesson's Start, "Use" a rate, "Use best") reruns the page itself."""
    ss = st.session_state
    if PAGE not in ss:  # no run of the page in this session yet: it draws everything
        st.rerun(scope="app")
    cfg, run = ss[PAGE]
    if fragments.rerun_alone():  # the page's own run drew these above the views
        guard.show_messages()
    view = st.segmented_control("View", VIEWS, default="Train", key="view", bind="query-params",
                                label_visibility="collapsed") or "Train"
    if view != "Train" and ss.get(SIDEBAR_LATER):  # left before the Train view's first chart
        train_view.draw_whole()  # the sidebar now: only the Train view reports that chart
    if cfg is not None and cfg.dataset == "csv" and ss.csv is not None:
        csv_preview(ss.csv)
    if view == "Lessons":
        lessons_view.render()
    elif view == "Train":
        if run is not None:
            train_view.view()
    elif view == "Loss shapes":
        from lossdash.ui import shapes_view

        shapes_view.render(run)
    elif view == "Search":
        from lossdash.ui import search_view

        search_view.render(cfg, run)
    else:
        from lossdash.ui import compare_view

        compare_view.render(view, cfg, run)


def main():
    st.set_page_config(page_title="lossdash", page_icon=str(ICON), layout="wide",
                       initial_sidebar_state="collapsed" if classroom.requested() else "auto")
    try:
        body()
    except Exception as err:  # the last line of defence: a message, never a traceback
        guard.log.warning("the page failed", exc_info=True)  # the traceback, in the server log
        st.error(guard.message("lossdash", err), icon=":material/error:")
