"""Models: a linear model and a multi-layer perceptron, with hand-written backprop.

A model with layer sizes ``(d, h1, ..., hL-1, k)`` computes

.. math::

    a_0 = X, \\qquad z_i = a_{i-1} W_i + b_i, \\qquad a_i = f(z_i) \\;(i < L), \\qquad
    \\text{output} = z_L

with ``W_i`` of shape ``(fan_in, fan_out)`` and ``b_i`` of shape ``(fan_out,)``. The linear model is
the case ``L = 1``: ``output = X W_1 + b_1`` (logistic regression is this model with the ``bce``
loss, which applies the sigmoid itself).

Backprop, for the objective ``J = loss(y, output) + penalty``, with ``delta_L = dJ/d output``:

.. math::

    \\frac{\\partial J}{\\partial W_i} = a_{i-1}^\\top \\delta_i, \\qquad
    \\frac{\\partial J}{\\partial b_i} = \\sum_{\\text{rows}} \\delta_i, \\qquad
    \\delta_{i-1} = (\\delta_i W_i^\\top) \\odot f'(z_{i-1})

The penalty is on the weight matrices only (never the biases):
``l1 * sum|W| + (l2 / 2) * sum W^2``, whose gradient ``l1 sign(W) + l2 W`` is what PyTorch's
``weight_decay=l2`` adds.

Every parameter lives in one flat float64 vector ``theta``; ``params["W1"]`` and friends are views
into it, and the gradients are views into one flat buffer ``grad``. An optimizer can therefore
update the whole model in a handful of NumPy calls (``{"theta": model.theta}``), and the
trainer can copy, record and restore all weights at once.

The same forward and backward code runs on a stack of parameter vectors (a leading axis ``G``):
``forward_batch`` and ``loss_and_grads_batch`` evaluate many weight settings at once, which the
loss landscape and the learning-rate sweep use.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01  # the slope of leaky relu for z < 0, as torch.nn.LeakyReLU's default


def _tanh(z):
    return np.tanh(z, out=z)


def _tanh_backprop(delta, a):
    """delta *= 1 - a^2"""
    t = np.multiply(a, a)
    np.subtract(1.0, t, out=t)
    delta *= t


def _sigmoid(z):
    # 1 / (1 + exp(-z)) written as (1 + tanh(z/2)) / 2: the same number, and no overflow at z << 0.
    z *= 0.5
    np.tanh(z, out=z)
    z += 1.0
    z *= 0.5
    return z


def _sigmoid_backprop(delta, a):
    """delta *= a (1 - a)"""
    t = np.subtract(1.0, a)
    t *= a
    delta *= t


def _relu(z):
    return np.maximum(z, 0.0, out=z)


def _relu_backprop(delta, a):
    """delta *= [a > 0]"""
    np.multiply(delta, a > 0.0, out=delta)


def _leaky_relu(z):
    return np.multiply(z, np.where(z > 0.0, 1.0, LEAKY_SLOPE), out=z)


def _leaky_relu_backprop(delta, a):
    """delta *= 1 where a > 0, else the leak slope"""
    delta *= np.where(a > 0.0, 1.0, LEAKY_SLOPE)


def _identity(z):
    return z


def _identity_backprop(delta, a):
    """f' = 1: delta is unchanged"""


@dataclass(frozen=True)
class Activation:
    """An activation: ``fn`` computes f(z) in place; ``backprop(delta, a)`` does delta *= f'(z)
    in place, with f' written in terms of the output a = f(z) so backprop needs no copy of z."""

    name: str
    fn: object
    backprop: object
    latex: str


ACTIVATIONS = {
    "tanh": Activation("tanh", _tanh, _tanh_backprop, r"f(z)=\tanh z,\; f'=1-a^2"),
    "relu": Activation("relu", _relu, _relu_backprop, r"f(z)=\max(0,z),\; f'=[z>0]"),
    "leaky_relu": Activation(
        "leaky_relu",
        _leaky_relu,
        _leaky_relu_backprop,
        r"f(z)=\max(0.01z,z),\; f'\in\{0.01,1\}",
    ),
    "sigmoid": Activation(
        "sigmoid", _sigmoid, _sigmoid_backprop, r"f(z)=1/(1+e^{-z}),\; f'=a(1-a)"
    ),
    "linear": Activation("linear", _identity, _identity_backprop, r"f(z)=z,\; f'=1"),
}


def _init_xavier(rng, fan_in, fan_out):
    """Glorot/Xavier uniform, as torch.nn.init.xavier_uniform_: U(-a, a), a = sqrt(6/(in+out))."""
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out))


def _init_he(rng, fan_in, fan_out):
    """He/Kaiming normal, as torch.nn.init.kaiming_normal_ (fan_in, relu): N(0, 2/fan_in)."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def _init_zeros(rng, fan_in, fan_out):
    """All zeros: fine for a linear model; an MLP started here never breaks its symmetry."""
    return np.zeros((fan_in, fan_out))


INITS = {"xavier": _init_xavier, "he": _init_he, "zeros": _init_zeros}
KINDS = ("linear", "mlp")


class ParamDict(dict):
    """A dict of views into the flat parameter vector; assigning an array copies it in place.

    ``model.params["W1"] = A`` writes A into the model's weights (same shape required), so code
    that sets weights by assignment and code that reads ``model.theta`` always agree.
    """

    def __setitem__(self, key, value):
        if key not in self:
            raise KeyError(f"unknown parameter {key!r}; the model has {list(self)}")
        target = dict.__getitem__(self, key)
        value = np.asarray(value, dtype=np.float64)
        if value.shape != target.shape:
            raise ValueError(f"{key} has shape {target.shape}; got an array of shape {value.shape}")
        target[...] = value


class Model:
    """A fully connected network ``sizes[0] -> ... -> sizes[-1]`` over one flat parameter vector.

    Parameters
    ----------
    sizes : tuple of int
        Layer widths, inputs first and outputs last; ``(d, k)`` is a linear model.
    activation : str
        Hidden-layer activation, a key of ``ACTIVATIONS`` (unused by a linear model).
    init : str
        Weight initialisation, a key of ``INITS``; biases start at zero.
    seed : int
        Seed of the initialisation.
    l1, l2 : float
        Penalty ``l1 * sum|W| + (l2/2) * sum W^2`` over the weight matrices.
    """

    def __init__(self, sizes, activation="tanh", init="xavier", seed=0, l1=0.0, l2=0.0):
        self.sizes = tuple(int(s) for s in sizes)
        self.kind = "linear" if len(self.sizes) == 2 else "mlp"
        self.activation = ACTIVATIONS[activation]
        self.init, self.seed = init, int(seed)
        self.l1, self.l2 = float(l1), float(l2)
        self.layout = []  # (name, slice into theta, shape)
        offset = 0
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(self.sizes), start=1):
            for name, shape in ((f"W{i}", (fan_in, fan_out)), (f"b{i}", (fan_out,))):
                size = int(np.prod(shape))
                self.layout.append((name, slice(offset, offset + size), shape))
                offset += size
        self.theta = np.zeros(offset)
        self.grad = np.zeros(offset)
        self.params = ParamDict((n, self.theta[s].reshape(sh)) for n, s, sh in self.layout)
        self.grads = {n: self.grad[s].reshape(sh) for n, s, sh in self.layout}
        self._W = [self.params[f"W{i}"] for i in range(1, self.n_layers + 1)]
        self._b = [self.params[f"b{i}"] for i in range(1, self.n_layers + 1)]
        self._gW = [self.grads[f"W{i}"] for i in range(1, self.n_layers + 1)]
        self._gb = [self.grads[f"b{i}"] for i in range(1, self.n_layers + 1)]
        self.reinitialize()

    # ------------------------------------------------------------------ shape and names
    @property
    def n_layers(self):
        return len(self.sizes) - 1

    @property
    def n_params(self):
        return self.theta.size

    @property
    def n_outputs(self):
        return self.sizes[-1]

    def param_names(self):
        """One label per entry of ``theta``: ``"W1[0,0]"``, ..., ``"b1[0]"``, in theta's order."""
        names = []
        for name, _, shape in self.layout:
            for idx in np.ndindex(*shape):
                names.append(f"{name}[{','.join(map(str, idx))}]")
        return names

    def weight_slices(self):
        """Slices of ``theta`` that hold weight matrices (the penalty's and the filters' domain)."""
        return [s for name, s, _ in self.layout if name.startswith("W")]

    def reinitialize(self, seed=None):
        """Draw fresh weights (biases zero) from ``init`` with ``seed`` (default: the model's)."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        for W, b in zip(self._W, self._b, strict=True):
            W[...] = INITS[self.init](rng, *W.shape)
            b[...] = 0.0

    def copy(self):
        """An independent model with the same architecture and the same weights."""
        twin = Model(self.sizes, self.activation.name, self.init, self.seed, self.l1, self.l2)
        twin.theta[...] = self.theta
        return twin

    # ------------------------------------------------------------------ forward and backward
    def _layers(self, thetas):
        """Weight and bias arrays for a stack of parameter vectors ``thetas`` of shape (G, P)."""
        G = thetas.shape[0]
        Ws, bs = [], []
        for name, s, shape in self.layout:
            block = thetas[:, s]
            if name.startswith("W"):
                Ws.append(block.reshape(G, *shape))
            else:
                bs.append(block.reshape(G, 1, shape[0]))
        return Ws, bs

    def _forward(self, X, Ws, bs):
        """All layer outputs ``[a_0 = X, a_1, ..., output]``; shapes (..., n, width)."""
        acts = [X]
        a = X
        last = len(Ws) - 1
        for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            z = a @ W
            z += b
            a = z if i == last else self.activation.fn(z)
            acts.append(a)
        return acts

    def _backward(self, acts, delta, Ws, gWs, gbs):
        """Fill ``gWs``/``gbs`` from ``delta = dJ/d output`` (the data term only)."""
        for i in range(len(Ws) - 1, -1, -1):
            a_prev = acts[i]
            np.matmul(np.swapaxes(a_prev, -1, -2), delta, out=gWs[i])
            np.sum(delta, axis=-2, out=gbs[i])
            if i > 0:
                W_t = np.swapaxes(Ws[i], -1, -2)
                # One output: delta W^T is an outer product, far cheaper as a broadcast product.
                delta = delta * W_t if delta.shape[-1] == 1 else delta @ W_t
                self.activation.backprop(delta, a_prev)

    def forward(self, X):
        """Raw outputs for inputs ``X`` (n, d): shape (n,) for one output, else (n, k)."""
        out = self._forward(np.asarray(X, dtype=np.float64), self._W, self._b)[-1]
        return out[:, 0] if self.n_outputs == 1 else out

    def penalty(self, theta=None):
        """``l1 * sum|W| + (l2/2) * sum W^2`` over the weight matrices of ``theta``."""
        if not (self.l1 or self.l2):
            return 0.0
        theta = self.theta if theta is None else theta
        total = 0.0
        for s in self.weight_slices():
            w = theta[..., s]
            total = total + self.l1 * np.abs(w).sum(axis=-1) + 0.5 * self.l2 * (w * w).sum(axis=-1)
        return total

    def _add_penalty_grad(self, theta, grad):
        if not (self.l1 or self.l2):
            return
        for s in self.weight_slices():
            w = theta[..., s]
            grad[..., s] += self.l1 * np.sign(w) + self.l2 * w

    def loss_and_grads(self, X, y, loss):
        """Objective ``loss(y, forward(X)) + penalty`` and its gradient for every parameter.

        Returns
        -------
        value : float
            Mean loss over the rows of ``X`` plus the penalty.
        grads : dict
            ``{name: dJ/d param}``, views into ``model.grad`` (overwritten by the next call).
        """
        acts = self._forward(X, self._W, self._b)
        self.last_output = acts[-1]  # (n, k): lets the trainer score a full batch for free
        value, dout = loss.value_and_grad(y, acts[-1])
        self._backward(acts, dout, self._W, self._gW, self._gb)
        if self.l1 or self.l2:
            value += self.penalty()
            self._add_penalty_grad(self.theta, self.grad)
        return value, self.grads

    # ------------------------------------------------------------------ many weights at once
    def forward_batch(self, X, thetas):
        """Outputs for every parameter vector in ``thetas`` (G, P): (G, n) or (G, n, k)."""
        thetas = np.atleast_2d(thetas)
        out = self._forward(np.asarray(X, dtype=np.float64), *self._layers(thetas))[-1]
        return out[..., 0] if self.n_outputs == 1 else out

    def loss_batch(self, X, y, loss, thetas):
        """Objective for every parameter vector in ``thetas`` (G, P) -> (G,)."""
        thetas = np.atleast_2d(thetas)
        values = loss.pointwise(y, self.forward_batch(X, thetas)).mean(axis=-1)
        return values + self.penalty(thetas)

    def loss_and_grads_batch(self, X, y, loss, thetas):
        """Objective (G,) and flat gradients (G, P) for a stack of parameter vectors (G, P).

        The per-run gradient of a mean over n samples is ``pointwise_grad / n``; the G runs
        never mix, so this equals G separate calls of ``loss_and_grads``.
        """
        thetas = np.atleast_2d(thetas)
        Ws, bs = self._layers(thetas)
        acts = self._forward(np.asarray(X, dtype=np.float64), Ws, bs)
        out = acts[-1][..., 0] if self.n_outputs == 1 else acts[-1]
        values = loss.pointwise(y, out).mean(axis=-1)
        dout = loss.pointwise_grad(y, out) / X.shape[0]
        if self.n_outputs == 1:
            dout = dout[..., None]
        grads = np.zeros_like(thetas)
        gWs, gbs = self._layers(grads)
        gbs = [g[:, 0, :] for g in gbs]
        self._backward(acts, dout, Ws, gWs, gbs)
        self._add_penalty_grad(thetas, grads)
        return values + self.penalty(thetas), grads


def make(
    kind,
    n_features,
    n_outputs=1,
    hidden=(),
    activation="tanh",
    init="xavier",
    seed=0,
    l1=0.0,
    l2=0.0,
):
    """Build a model.

    Parameters
    ----------
    kind : {"linear", "mlp"}
        ``linear`` is ``X W + b`` (``hidden`` must be empty); ``mlp`` has the ``hidden`` layers.
    n_features, n_outputs : int
        Input width ``d`` and output width ``k`` (1 for regression and binary losses, the number
        of classes for ``cross_entropy``).
    hidden : sequence of int
        Widths of the hidden layers of an MLP.
    activation : str
        One of ``ACTIVATIONS``: tanh, relu, leaky_relu, sigmoid, linear.
    init : str
        One of ``INITS``: xavier (default), he, zeros.
    seed : int
        Seed of the initial weights.
    l1, l2 : float
        Penalty strengths on the weight matrices (see the module docstring).
    """
    hidden = tuple(int(h) for h in hidden)
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "linear" and hidden:
        raise ValueError("a linear model has no hidden layers; pick kind='mlp' to add some")
    if kind == "mlp" and not hidden:
        raise ValueError("an MLP needs at least one hidden layer, e.g. hidden=(8,)")
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    if min((n_features, n_outputs, *hidden)) < 1:
        raise ValueError("every layer needs at least one unit")
    if l1 < 0 or l2 < 0:
        raise ValueError("penalties l1 and l2 must be >= 0")
    return Model((n_features, *hidden, n_outputs), activation, init, seed, l1, l2)
