"""The sidebar's data-set picker and engineered inputs.

- The picker lists plain names ("Two circles") while the URL keeps the identifiers
  (``dataset=circle``); choosing a set applies its recommended setup
  (``lossdash.config.recommended``), and a thumbnail shows the chosen set.
- "Regenerate" draws new data: the next data seed.
- 2-D sets get Playground's feature toggles; 1-D sets a polynomial degree. The ``features``
  setting travels in the URL as one comma-separated value, carried by a hidden select box
  (Streamlit writes a multi-select as repeated URL keys), which the toggles write.
"""

from __future__ import annotations

import itertools

import streamlit as st

from lossdash import config, data, features
from lossdash.charts.thumbnails import thumbnail

URL = "query-params"
DEFAULT = config.RunConfig()
# Every non-empty choice of features, in the registry's order: the carrier's options.
FEATURE_SETS = [",".join(c) for k in range(1, len(features.FEATURES) + 1)
                for c in itertools.combinations(features.FEATURES, k)]
HIDE_CARRIERS = "<style>.st-key-features, .st-key-dataset { display: none; }</style>"


def title(name):
    return "Your own table (CSV upload)" if name == "csv" else data.TITLES.get(name, name)


def apply_setup(cfg):
    """Write every field of ``cfg`` to the widgets' state (before they are drawn)."""
    for field, value in cfg.to_dict().items():
        st.session_state[field] = value


def _dataset_chosen():
    ss = st.session_state
    name = ss["dataset_pick"]
    ss["dataset"] = name
    if name in config.RECOMMENDED:
        apply_setup(config.recommended(name))


def dataset_picker():
    """The data-set select box (plain names); choosing applies the set's recommended setup.

    A bound select box shows its *labels* in the URL, so the URL's ``dataset`` is carried by a
    hidden one with the identifiers, and the visible one (plain names) writes it.
    """
    options = [*data.names(), "csv"]
    st.html(HIDE_CARRIERS)
    name = st.selectbox("dataset", options, index=options.index(DEFAULT.dataset),
                        key="dataset", bind=URL, label_visibility="collapsed")
    st.session_state["dataset_pick"] = name
    st.selectbox("Data set", options, key="dataset_pick", format_func=title,
                 on_change=_dataset_chosen,
                 help="Choosing a set loads a setup that solves it; change anything afterwards.")
    return name


def _regenerate():
    ss = st.session_state
    ss["data_seed"] = (int(ss.get("data_seed", 0)) + 1) % (config.LIMITS["data_seed"][1] + 1)


def preview(name, dataset):
    """A thumbnail of the chosen set, what it is, and "Regenerate"."""
    left, right = st.columns([1, 2], vertical_alignment="center")
    left.image(thumbnail(dataset, size=96), width=96, output_format="PNG")
    _, task, text = data.GENERATORS[name]
    right.caption(f"{task}: {text}")
    right.button("Regenerate", icon=":material/casino:", on_click=_regenerate,
                 key="regenerate", help="Draw new points: the next data seed.")


def _features_toggled():
    ss = st.session_state
    chosen = ss.get("feature_toggles") or []
    if chosen:  # none at all cannot train: the last choice stays
        ss["features"] = ",".join(features.parse(",".join(chosen)))


def engineered_inputs(dataset):
    """Feature toggles for a 2-D set, a polynomial degree for a 1-D set."""
    ss = st.session_state
    if dataset.n_features == 2:
        current = st.selectbox("features", FEATURE_SETS, key="features", bind=URL,
                               index=FEATURE_SETS.index(DEFAULT.features),
                               label_visibility="collapsed")
        ss["feature_toggles"] = list(features.parse(current))
        st.pills("Inputs", list(features.FEATURES), selection_mode="multi",
                 key="feature_toggles", format_func=lambda f: features.FEATURES[f][0],
                 on_change=_features_toggled,
                 help="What the model sees. x1² and x2² let a linear model draw a circle; "
                 "x1·x2 separates xor; sin helps with the spiral.")
    elif dataset.n_features == 1:
        st.slider("Polynomial degree", 1, features.MAX_DEGREE, value=DEFAULT.degree,
                  key="degree", bind=URL,
                  help="The model sees x, x², ..., x^degree: 1 is a line; a high degree on "
                  "few points overfits (watch the validation loss).")
