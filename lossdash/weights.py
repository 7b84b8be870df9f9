"""Export a model's weights (JSON or NumPy ``.npz``, with the layout) and import them again.

Both files hold one array per parameter, named as ``model.layout`` names them (``W1`` of shape
``(fan_in, fan_out)``, ``b1`` of shape ``(fan_out,)``, ...), plus the layer sizes and the
activation, so a file can be checked against the model it is loaded into:

- JSON: ``{"lossdash_weights": 1, "sizes": [2, 8, 1], "activation": "tanh",
  "params": {"W1": [[...], ...], "b1": [...], ...}}``
- ``.npz``: arrays ``W1``, ``b1``, ..., ``sizes`` (int) and ``activation`` (a 0-d string array),
  readable with ``numpy.load`` (no pickle).

:func:`read` returns the flat ``theta`` for a model, or raises :class:`WeightsError` saying in
the user's words why the file does not fit.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

MAX_BYTES = 50_000_000  # larger than any model the dashboard builds (6 layers of 256)


class WeightsError(ValueError):
    """A weights file that cannot be loaded into the current model, said in the user's words."""


def arrays(model):
    """``{name: array}`` copies of every parameter, in the layout's order."""
    return {name: model.theta[s].reshape(shape).copy() for name, s, shape in model.layout}


def to_json(model):
    """The weights as a JSON document (see the module docstring)."""
    doc = {"lossdash_weights": 1, "sizes": list(model.sizes),
           "activation": model.activation.name,
           "params": {name: a.tolist() for name, a in arrays(model).items()}}
    return json.dumps(doc)


def to_npz(model):
    """The weights as the bytes of a NumPy ``.npz`` file (see the module docstring)."""
    buffer = io.BytesIO()
    np.savez(buffer, sizes=np.array(model.sizes), activation=np.array(model.activation.name),
             **arrays(model))
    return buffer.getvalue()


def describe(sizes):
    """``[2, 8, 1]`` -> ``"2 -> 8 -> 1"`` (inputs, hidden widths, outputs)."""
    return " -> ".join(str(int(s)) for s in sizes)


def _parse(raw):
    """``(sizes, {name: array})`` from the bytes of a JSON or ``.npz`` weights file."""
    if len(raw) > MAX_BYTES:
        raise WeightsError(f"the file is {len(raw) / 1e6:.0f} MB; a weights file of lossdash is "
                           f"at most {MAX_BYTES / 1e6:.0f} MB")
    if raw[:2] == b"PK":  # a zip archive: .npz
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
                found = {k: npz[k] for k in npz.files}
        except (ValueError, OSError, zipfile.BadZipFile) as err:
            raise WeightsError(f"this .npz file cannot be read ({err})") from None
        sizes = found.pop("sizes", None)
        found.pop("activation", None)
        return sizes, found
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WeightsError("this is neither a JSON nor an .npz weights file: export one with "
                           "'Export weights' first") from None
    if not isinstance(doc, dict) or "params" not in doc or not isinstance(doc["params"], dict):
        raise WeightsError("this JSON file holds no lossdash weights (no 'params'): export one "
                           "with 'Export weights' first")
    params = {}
    for name, value in doc["params"].items():
        try:
            params[str(name)] = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise WeightsError(f"'{name}' in the file is not an array of numbers") from None
    return doc.get("sizes"), params


def read(raw, model):
    """The flat parameter vector ``theta`` for ``model`` from a weights file's bytes.

    Raises
    ------
    WeightsError
        The file is not a weights file, was saved from another architecture, misses a
        parameter, has one of another shape, or holds a value that is not a finite number.
    """
    sizes, params = _parse(bytes(raw))
    if sizes is not None:
        try:
            sizes = [int(s) for s in np.asarray(sizes).ravel()]
        except (TypeError, ValueError):
            sizes = None
    if sizes is not None and tuple(sizes) != model.sizes:
        raise WeightsError(f"this file holds a network {describe(sizes)} (inputs -> hidden -> "
                           f"outputs); the current model is {describe(model.sizes)}. Choose "
                           "the same features, model and hidden layers, then import again")
    theta = np.empty(model.n_params)
    for name, s, shape in model.layout:
        if name not in params:
            raise WeightsError(f"the file has no '{name}' (it has {', '.join(params) or 'none'})")
        value = np.asarray(params[name], dtype=np.float64)
        if value.shape != shape:
            raise WeightsError(f"'{name}' in the file has shape {value.shape}; the model needs "
                               f"{shape}")
        if not np.all(np.isfinite(value)):
            raise WeightsError(f"'{name}' in the file holds values that are not finite numbers")
        theta[s] = value.ravel()
    return theta
