"""The settings sidebar: widgets that fill a RunConfig, every one bound to the URL.

Each widget's key is the RunConfig field it fills and ``bind="query-params"`` puts its value in the
URL, so a copied link reopens the same setup (values equal to the default stay out of the URL).
"""

from __future__ import annotations

import hashlib
import math
import urllib.parse

import streamlit as st

from lossdash import config, data, losses, models, optimizers, schedules
from lossdash.config import LIMITS, RunConfig
from lossdash.ui import guard, inputs_panel, stability_view
from lossdash.ui.text import inert

DEFAULT = RunConfig()
URL = "query-params"
LR_GRID = sorted({round(m * 10.0**e, 8) for e in range(-5, 2) for m in (1, 2, 5)} | {100.0})
BATCH_SIZES = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
NOISE_MAX = LIMITS["noise"][1]


# --------------------------------------------------------------------------- widget helpers
def select(label, field, options, fmt=str, default=None, help=None):
    """A selectbox bound to the URL, filling RunConfig.<field>."""
    default = getattr(DEFAULT, field) if default is None else default
    index = options.index(default) if default in options else 0
    return st.selectbox(
        label, options, index=index, key=field, bind=URL, format_func=fmt, help=help
    )


def number(label, field, step=None, fmt=None, help=None, disabled=False):
    """A number input bound to the URL, with the range the config validator uses."""
    lo, hi = LIMITS[field]
    default = getattr(DEFAULT, field)
    kind = type(default)
    return st.number_input(
        label,
        min_value=kind(lo),
        max_value=kind(hi),
        value=default,
        step=step if step is not None else (1 if kind is int else None),
        format=fmt,
        key=field,
        bind=URL,
        help=help,
        disabled=disabled,
    )


def slider(label, field, step, help=None):
    lo, hi = LIMITS[field]
    kind = type(getattr(DEFAULT, field))
    return st.slider(
        label,
        kind(lo),
        kind(hi),
        value=getattr(DEFAULT, field),
        step=kind(step),
        key=field,
        bind=URL,
        help=help,
    )


def checkbox(label, field, help=None):
    return st.checkbox(label, value=getattr(DEFAULT, field), key=field, bind=URL, help=help)


def nearest_stop(lr):
    """The learning-rate slider's stop nearest ``lr`` on a log scale."""
    if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
        return LR_GRID[0]
    return min(LR_GRID, key=lambda stop: abs(math.log(stop / lr)))


@guard.callback("Moving the learning-rate slider")
def _lr_from_slider():
    st.session_state["lr"] = float(st.session_state["lr_slider"])


# --------------------------------------------------------------------------- data
def _dataset_label(name):
    if name == "csv":
        return "Your own table: upload a CSV file below."
    _, task, text = data.GENERATORS[name]
    return f"{task}: {text}"


@st.cache_data(max_entries=8, show_spinner=False)
def generated(name, n_samples, noise, seed):
    """A generated data set (a pure function of its arguments, so it is cached)."""
    return data.generate(name, n_samples=n_samples, noise=noise, seed=seed)


def generated_token(name, n_samples, noise, seed):
    """What names a generated data set in a run's key (``state.run_key``)."""
    return ("gen", name, n_samples, noise, seed)


@st.cache_data(max_entries=4, show_spinner=False)
def read_upload(raw):
    """An uploaded CSV's bytes as a DataFrame (raises DataError with the reason)."""
    return data.read_csv(raw)


@st.cache_data(max_entries=4, show_spinner=False)
def upload_number_columns(raw):
    """The columns of an uploaded CSV that hold numbers, typos and all (see read_upload)."""
    return data.number_columns(read_upload(raw))


def _tick(key):
    st.session_state[key] = True


def csv_section():
    """Upload, preview and column choice. Returns (dataset, token) or (None, None).

    A bad file or bad choice shows an error naming the problem, and the last good upload stays
    in use, so nothing the user had is lost.
    """
    ss = st.session_state
    upload = st.file_uploader(
        "CSV file", type=["csv", "txt", "tsv"], key="csv_file",
        help=f"Up to {data.MAX_BYTES / 2**20:g} MB, {data.MAX_ROWS:,} rows and "
        f"{data.MAX_COLUMNS:,} columns. The first row must name the columns.",
    )
    if upload is not None and upload.size > data.MAX_BYTES:  # refused before a byte is read
        st.error(f"**{upload.name}**: {data.too_big(upload.size)}")
        upload = None
    if upload is not None:
        raw = upload.getvalue()
        try:
            frame = read_upload(raw)
        except data.DataError as err:
            st.error(f"**{inert(upload.name)}**: {inert(err)}")
            frame = None
        if frame is not None:
            columns = [str(c) for c in frame.columns]
            # Keys per file: a second file's columns start from its own defaults, not from
            # choices made for the first one (which would no longer be among its columns).
            digest = hashlib.sha1(raw).hexdigest()[:12]
            target = st.selectbox("Target column", columns, index=len(columns) - 1,
                                  key=f"csv_target_{digest}")
            others = [c for c in columns if c != target]
            numbers = upload_number_columns(raw)  # typos in a number column keep it in
            numeric = [c for c in others if c in numbers]
            features = st.multiselect(
                "Feature columns", others, default=numeric or others,
                key=f"csv_features_{digest}_{target}",
            )
            task = st.selectbox(
                "Task", ["infer", "regression", "classification"], key=f"csv_task_{digest}",
                help="Inferred from the target: text or a few whole-number values mean classes.",
            )
            drop_key = f"csv_drop_{digest}"
            drop = st.checkbox("Drop rows with missing values", key=drop_key)
            try:
                dataset = data.from_frame(
                    frame, target, features, None if task == "infer" else task, drop
                )
            except data.DataError as err:
                st.error(f"**{inert(upload.name)}**: {inert(err)}")
                if data.DROP_HINT in str(err):
                    st.button("Drop those rows", key=f"csv_drop_offer_{digest}",
                              on_click=_tick, args=(drop_key,), icon=":material/delete_sweep:")
            else:
                if (warning := data.class_warning(dataset)) is not None:
                    st.warning(warning, icon=":material/warning:")
                token = ("csv", digest, target, tuple(features), task, drop)
                ss.csv = {"token": token, "name": upload.name, "frame": frame,
                          "dataset": dataset}
    if ss.csv is None:
        return None, None
    if upload is None or ss.csv["name"] != upload.name:
        st.caption(f"Using the last good upload: {inert(ss.csv['name'])}")
    for note in ss.csv["dataset"].notes:
        st.caption(inert(note))
    return ss.csv["dataset"], ss.csv["token"]


def data_section():
    """Returns (dataset or None, data token or None)."""
    st.header("Data")
    name = inputs_panel.dataset_picker()
    if name == "csv":
        st.caption(_dataset_label(name))
        dataset, token = csv_section()
    else:
        n = slider("Points", "n_samples", 10)
        noise = slider("Noise", "noise", 0.05,
                       help="Regression: std of noise added to y. Classification: how far "
                       "points stray across the class border (0 to 1).")
        seed = number("Data seed", "data_seed")
        try:
            dataset = generated(name, n, noise, seed)
        except data.DataError as err:
            st.error(inert(err))
            dataset = None
        token = generated_token(name, n, noise, seed)
        if dataset is not None:
            inputs_panel.preview(name, dataset)
            inputs_panel.engineered_inputs(dataset)
    slider("Validation fraction", "val_fraction", 0.05,
           help="Rows held out to measure the validation loss; 0 = none.")
    checkbox("Standardize features", "standardize",
             help="Rescale every feature to mean 0 and std 1 (statistics of the training rows).")
    return dataset, token


# --------------------------------------------------------------------------- model and loss
def default_loss(dataset):
    """The loss the sidebar offers first for ``dataset`` (None: no data yet)."""
    if dataset is None or dataset.task == "regression":
        return "mse"
    return "bce" if dataset.n_classes == 2 else "cross_entropy"


def model_section(dataset):
    st.header("Model")
    kind = st.radio(
        "Model", list(models.KINDS), key="model", bind=URL, horizontal=True,
        index=list(models.KINDS).index(DEFAULT.model),
        captions=["X·W + b (logistic with bce)", "hidden layers"],
    )
    if kind == "mlp":
        st.text_input("Hidden layers", value=DEFAULT.hidden, key="hidden", bind=URL,
                      help="Neurons per hidden layer, comma separated: 8,8 is two layers of 8.")
        select("Activation", "activation", list(models.ACTIVATIONS))
    select("Initialisation", "init", list(models.INITS),
           help="xavier: U(±√(6/(in+out))); he: N(0, 2/in); zeros: all zero (an MLP then "
           "never breaks symmetry).")

    st.header("Loss")
    options = config.compatible_losses(dataset) if dataset is not None else losses.names()
    name = select("Loss", "loss", options, default=default_loss(dataset),
                  help="Only the losses that fit the data's task are offered.")
    loss = losses.get(name)
    st.latex(r"\small " + loss.latex)  # small: the sidebar is narrower than most formulas
    st.caption(loss.summary)
    with st.expander("Regularization"):
        number("L1 penalty", "l1", step=0.001, fmt="%g", help="Adds l1·Σ|W| (weights only).")
        number("L2 penalty", "l2", step=0.001, fmt="%g", help="Adds (l2/2)·ΣW² (weights only).")


# --------------------------------------------------------------------------- optimizer and run
def line_search_note(optimizer, batch_size):
    """What the Armijo line search does instead of the chosen optimizer and batch size."""
    rule = ("plain gradient steps" if optimizer == "sgd" else
            f"plain gradient steps, not {optimizer}'s update rule")
    text = (f"Line search on: {rule}; weight decay and clipping are not used (greyed out). "
            "The learning rate is where each step's search starts.")
    if batch_size:
        text += (f" With batches of {batch_size}, each step searches on its own batch's loss: "
                 "a noisy search meant for the full batch.")
    return text


def optimizer_section():
    st.header("Optimizer")
    name = select("Optimizer", "optimizer", optimizers.names())
    searching = checkbox("Backtracking (Armijo) line search", "line_search",
                         help="Plain gradient steps: start at the learning rate and halve it "
                         "until the loss drops enough (Armijo condition).")
    note = st.empty()  # filled once the batch size below is known
    opt_cls = optimizers.REGISTRY[name]
    with st.expander("Update rule"):
        st.latex(r"\small " + opt_cls.latex)
        st.caption(opt_cls.summary)
    lr = number("Learning rate", "lr", step=None, fmt="%g",
                help="Exact value; the slider below moves it on a log scale.")
    # The slider's stops never change (a stop list holding the typed rate changed with it, and
    # the page could then report the old position as a move: typing 0.002 over 0.003 once set
    # the rate to 1e-05, the first stop); it shows the stop nearest the exact rate.
    st.session_state["lr_slider"] = nearest_stop(lr)
    st.select_slider("Learning rate (log scale)", LR_GRID, key="lr_slider",
                     on_change=_lr_from_slider, format_func="{:g}".format,
                     label_visibility="collapsed")
    lr_note = st.empty()  # filled with the stability line once the whole config is known
    fields = config.OPTIMIZER_FIELDS[name]
    off = searching  # the line search takes its own plain steps: these are not used
    if "momentum" in fields:
        number("Momentum", "momentum", step=0.05, fmt="%g", disabled=off)
    if "beta1" in fields:
        c1, c2 = st.columns(2)
        with c1:
            number("β₁", "beta1", step=0.01, fmt="%g", disabled=off)
        with c2:
            number("β₂", "beta2", step=0.001, fmt="%g", disabled=off)
    if "alpha" in fields:
        number("α (squared-gradient decay)", "alpha", step=0.01, fmt="%g", disabled=off)
    with st.expander("Weight decay, clipping"):
        if "adamw_decay" in fields:
            number("Decoupled weight decay", "adamw_decay", step=0.01, fmt="%g", disabled=off)
        else:
            number("Weight decay", "weight_decay", step=0.001, fmt="%g", disabled=off)
        number("Clip gradient norm (0 = off)", "clip_norm", step=0.1, fmt="%g", disabled=off)

    st.header("Schedule and run")
    sched = select("Learning-rate schedule", "schedule", schedules.names())
    if sched == "step":
        number("Decay every (epochs)", "step_size")
    if sched in ("step", "exponential"):
        number("Decay factor γ", "gamma", step=0.05, fmt="%g")
    if sched == "inverse_time":
        number("Decay rate", "decay", step=0.01, fmt="%g")
    if sched != "constant":
        st.latex(r"\small " + schedules.REGISTRY[sched].latex)
    batch = select("Batch size", "batch_size", BATCH_SIZES,
                   fmt=lambda b: "full" if b == 0 else str(b),
                   help="Rows per step: full = gradient descent on all rows; 1 = pure SGD.")
    if searching:
        note.caption(line_search_note(name, batch))
    number("Max epochs", "max_epochs")
    number("Seed (weights and batches)", "seed")
    return lr_note


def checked(cfg):
    """``(cfg, None)``, or, when its hidden layers do not parse, ``(cfg with the default
    hidden layers, the problem)``: what a first run uses while the user fixes them."""
    try:
        if cfg.model == "mlp":
            cfg.hidden_sizes()
    except config.ConfigError as err:
        return cfg.replace(hidden=DEFAULT.hidden), str(err)
    return cfg, None


def read_config():
    """Draw the sidebar; returns (RunConfig, dataset or None, token, problem or None).

    With a problem (hidden layers that do not parse), the config carries the default hidden
    layers instead, for a session that has no earlier run to keep.
    """
    with st.sidebar:
        dataset, token = data_section()
        model_section(dataset)
        lr_note = optimizer_section()
    values = {
        f: st.session_state[f]
        for f in RunConfig.__dataclass_fields__
        if f in st.session_state
    }
    cfg, problem = checked(RunConfig(**{**DEFAULT.to_dict(), **values}))
    stability_view.caption(lr_note, cfg, dataset, token)
    with st.sidebar:
        share_section(cfg)
    return cfg, dataset, token, problem


def drawn(field, values, dataset):
    """Does the sidebar draw the widget of ``field`` for these settings? (A widget not drawn
    does not read its URL value: the run uses the default, or what the session holds.)"""
    if field in ("n_samples", "noise", "data_seed"):
        return values["dataset"] != "csv"
    if field == "features":
        return dataset is not None and dataset.n_features == 2
    if field == "degree":
        return dataset is not None and dataset.n_features == 1
    if field in ("hidden", "activation"):
        return values["model"] == "mlp"
    if field in ("momentum", "beta1", "beta2", "alpha", "weight_decay", "adamw_decay"):
        return field in config.OPTIMIZER_FIELDS[values["optimizer"]]
    if field == "step_size":
        return values["schedule"] == "step"
    if field == "gamma":
        return values["schedule"] in ("step", "exponential")
    if field == "decay":
        return values["schedule"] == "inverse_time"
    return True


def settings_now():
    """The settings the sidebar's widgets will hold, read before any of them is drawn: what
    the session holds, else the URL's value (already checked: ``main.check_url_once``), else
    the default; a widget the sidebar does not draw (:func:`drawn`) reads no URL value.
    Returns (RunConfig, dataset, token, problem) as :func:`read_config` does, or None where
    only the widgets can tell (an uploaded CSV). tests/ui/test_first_paint.py checks, link by
    link, that the widgets drawn afterwards hold these very settings."""
    ss, url = st.session_state, st.query_params
    values, from_url = {}, set()
    for field in RunConfig.__dataclass_fields__:
        if field in ss:
            values[field] = ss[field]
        elif field in url:
            try:
                values[field] = config.read_value(field, url[field])
            except (ValueError, config.ConfigError):
                return None
            from_url.add(field)
    values = {**DEFAULT.to_dict(), **values}
    if values["dataset"] not in data.GENERATORS:
        return None
    name = values["dataset"]
    try:
        dataset = generated(name, values["n_samples"], values["noise"], values["data_seed"])
    except data.DataError:
        return None
    for field in from_url:
        if not drawn(field, values, dataset):
            values[field] = getattr(DEFAULT, field)
    if "loss" not in ss and "loss" not in url:
        values["loss"] = default_loss(dataset)
    cfg, problem = checked(RunConfig(**values))
    token = generated_token(name, cfg.n_samples, cfg.noise, cfg.data_seed)
    return cfg, dataset, token, problem


# --------------------------------------------------------------------------- share
@guard.callback("Importing the setup")
def _import_setup():
    """Upload callback: a valid setup file fills every widget before the sidebar is drawn."""
    ss = st.session_state
    upload = ss.get("setup_file")
    if upload is None:
        return
    try:
        cfg = config.from_json(upload.getvalue().decode("utf-8", errors="replace"))
    except config.ConfigError as err:
        ss.import_message = ("error", f"{inert(upload.name)}: {inert(err)}")
        return
    for field, value in cfg.to_dict().items():
        ss[field] = value
    ss.import_message = ("success", f"Loaded the setup from {inert(upload.name)}.")


def setup_link(page_url, query):
    """The page's address with ``query`` (a dict) as its query string.

    ``http://host:8501`` has an empty path, and ``http://host:8501?lr=1`` is not what a
    browser shows or some chat apps link: the path is at least "/".
    """
    parts = urllib.parse.urlsplit(page_url or "")
    path = parts.path or "/"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path,
                                    urllib.parse.urlencode(query), ""))


def share_section(cfg):
    """Export the setup as JSON, or import one; the URL carries it too."""
    st.header("Share")
    st.caption("The page's URL holds every setting: copy it to share this setup, or use the "
               "link below, built from the settings themselves.")
    st.link_button("Link to this setup", setup_link(st.context.url, cfg.to_query()),
                   icon=":material/link:")
    st.download_button("Export setup (JSON)", cfg.to_json(), file_name="lossdash_setup.json",
                       mime="application/json", icon=":material/download:", on_click="ignore")
    st.file_uploader("Import a setup (JSON)", type=["json"], key="setup_file",
                     on_change=_import_setup)
    kind, text = st.session_state.get("import_message") or (None, None)
    if kind == "error":
        st.error(text)
    elif kind == "success":
        st.success(text)
