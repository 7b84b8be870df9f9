"""See the losses themselves: their shapes, what outliers do to them, optimizers on surfaces."""

from __future__ import annotations

import streamlit as st

from lossdash import losses, optimizers
from lossdash.charts import landscape as charts_landscape
from lossdash.explore import landscape, shapes
from lossdash.ui import guard, live

URL = "query-params"
DEMO_LR = {  # a starting learning rate per optimizer that moves visibly on the demo surfaces
    "sgd": 0.001, "momentum": 0.001, "nesterov": 0.001, "adagrad": 0.5, "rmsprop": 0.01,
    "adam": 0.05, "adamw": 0.05,
}


@st.cache_data(max_entries=16, show_spinner=False)
def outliers(k, seed):
    """The outlier experiment (a pure function of its arguments, so it is cached)."""
    return shapes.outlier_experiment(k=k, seed=seed)


@st.cache_data(max_entries=16, show_spinner=False)
def race(name, start, chosen, steps):
    """Each chosen ``(optimizer, lr)`` run on the demo surface ``name`` from ``start``."""
    surf = landscape.surface(name)
    opts = {f"{o} (lr {lr:g})": optimizers.get(o, lr) for o, lr in chosen}
    return landscape.race(surf, opts, start, steps)


@guard.fragment("The loss shapes")
def shapes_section():
    st.subheader("Loss shapes")
    st.caption("Each loss as a function of one sample's error, and the gradient it sends back. "
               "MSE pushes in proportion to the error, MAE with the same force whatever the "
               "error, Huber switches from one to the other at δ, log-cosh does it smoothly.")
    c = st.columns([1, 1, 2])
    task = c[0].radio("Task", ["regression", "classification"], horizontal=True,
                      key="shape_task", bind=URL)
    options = {}
    if "huber" in losses.names(task):  # the slider only where Huber is drawn
        delta = c[1].slider("Huber δ", 0.1, 3.0, 1.0, 0.1, key="huber_delta", bind=URL)
        options["huber"] = {"delta": delta}
    data = shapes.loss_shapes(task, options=options)
    left, right = st.columns(2)
    with left:
        live.chart("shape_values", charts_landscape.loss_shape_figure(data, "value"))
    with right:
        live.chart("shape_grads", charts_landscape.loss_shape_figure(data, "gradient"))
    if task == "classification":
        st.caption("On two classes bce and cross_entropy are one loss: the softmax of two "
                   "scores is the sigmoid of their difference, so both charge −log σ(m). "
                   "cross_entropy is drawn dashed on top of bce; the two part ways from "
                   "three classes on.")
    with st.expander("The formulas"):
        for name in losses.names(task):
            st.markdown(f"**{name}**: {losses.get(name).summary}")
            st.latex(losses.get(name).latex)


@guard.fragment("The outlier experiment")
def outlier_section():
    st.subheader("Outliers: MSE against MAE and Huber")
    st.caption("The classic data (y = 3x + U(0,1)) with k points dragged far below the line. "
               "Squared errors let a few far points tilt the whole fit; absolute errors barely "
               "notice them.")
    c = st.columns(2)
    k = c[0].slider("Outliers (k)", 0, 20, 5, key="outliers_k", bind=URL)
    seed = c[1].number_input("Seed", 0, 10_000, 0, key="outliers_seed", bind=URL)
    result = outliers(int(k), int(seed))
    left, right = st.columns([3, 1])
    with left:
        live.chart("outlier_chart", charts_landscape.outlier_figure(result))
    rows = [{"loss": name, "slope w": w, "intercept b": b} for name, (w, b) in
            result.fits.items()]
    right.dataframe(rows, hide_index=True)
    right.caption("Without outliers every loss finds w ≈ 3, b ≈ 0.5.")


@guard.fragment("The optimizer race")
def demo_section():
    st.subheader("Optimizers on classic surfaces")
    st.caption("No data: a function of two variables and several optimizers started from the "
               "same point (the surfaces of Ruder's overview and Distill's 'Why Momentum Really "
               "Works').")
    c = st.columns([1, 1, 1, 1])
    name = c[0].selectbox("Surface", list(landscape.SURFACES), key="surface", bind=URL)
    surf = landscape.surface(name)
    x0 = c[1].number_input("Start x", -10.0, 10.0, float(surf.start[0]), 0.1,
                           key=f"start_x_{name}", bind=URL)
    y0 = c[2].number_input("Start y", -10.0, 10.0, float(surf.start[1]), 0.1,
                           key=f"start_y_{name}", bind=URL)
    steps = c[3].number_input("Steps", 10, 5000, 500, 50, key="surface_steps", bind=URL)
    st.latex(surf.latex)
    st.caption(surf.summary)
    chosen_names = st.multiselect("Optimizers", optimizers.names(),
                                  default=["sgd", "momentum", "adam"], key="surface_opts",
                                  bind=URL)
    cols = st.columns(max(len(chosen_names), 1))
    chosen = []
    for col, opt in zip(cols, chosen_names, strict=False):
        lr = col.number_input(f"{opt} lr", 1e-5, 10.0, DEMO_LR[opt], format="%g",
                              key=f"race_lr_{opt}", bind=URL)
        chosen.append((opt, float(lr)))
    style = st.radio("View", ["contour", "surface"], horizontal=True, key="surface_style",
                     bind=URL)
    paths = race(name, (x0, y0), tuple(chosen), int(steps))
    live.chart("demo_chart", charts_landscape.demo_figure(surf, paths, style))
    ends = [f"{label}: ({p[-1, 0]:.3g}, {p[-1, 1]:.3g}) after {len(p) - 1} steps"
            for label, p in paths.items()]
    st.caption("Where each ended: " + "; ".join(ends))


def render(run):
    tabs = st.tabs(["Loss shapes", "Outliers", "Optimizer race"])
    with tabs[0]:
        shapes_section()
    with tabs[1]:
        outlier_section()
    with tabs[2]:
        demo_section()
