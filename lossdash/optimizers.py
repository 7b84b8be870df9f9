"""Gradient-descent optimizers in pure NumPy, with the update rules of ``torch.optim``.

Every optimizer is a small class behind the :class:`Optimizer` base, and :data:`REGISTRY` maps
its name to the class. ``opt.step(params, grads)`` updates the arrays of the dict ``params`` in
place from the arrays of ``grads`` (same keys, same shapes; float arrays of any shape). The
trainer passes ``{"theta": model.theta}`` and ``{"theta": model.grad}``.

Notation used in every docstring and ``latex``: ``theta`` the parameters, ``g_t`` the gradient
at step ``t = 1, 2, ...``, ``eta`` the learning rate ``lr``, ``lambda`` the weight decay. Unless
an optimizer says otherwise (AdamW), weight decay is an L2 term added to the gradient,
``g_t <- g_t + lambda * theta_{t-1}``, as torch.optim does.

Gradient clipping
-----------------
Every optimizer takes ``clip_norm=None``. When set, the gradients of all parameters in the step
are first scaled by ``min(1, clip_norm / (||g|| + 1e-6))``, where ``||g||`` is their global
L2 norm, as ``torch.nn.utils.clip_grad_norm_`` does. ``step`` clips a private copy: it never
writes into the arrays of ``grads``. :func:`clip_grad_norm` does the same in place.

Performance
-----------
The trainer calls ``step`` about 10,000 times a second, so state buffers are allocated once, on
a parameter's first step, and the updates use in-place NumPy operations (``out=``). For the same
reason the arrays are not validated on every step.

Add an optimizer by writing one class and one :data:`REGISTRY` entry; the UI and the tests pick
it up from there.
"""

import math
import numbers

import numpy as np

from lossdash.checks import real_in

CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_ adds this to the norm before dividing by it

#: Allowed interval of every numeric hyperparameter (the UI may use it for its widgets).
LIMITS = {
    "momentum": "[0, 1)",
    "dampening": "[0, 1]",
    "weight_decay": "[0, inf)",
    "lr_decay": "[0, inf)",
    "initial_accumulator_value": "[0, inf)",
    "eps": "(0, inf)",  # eps = 0 would divide 0 by 0 on a zero gradient
    "alpha": "[0, 1)",
    "beta1": "[0, 1)",
    "beta2": "[0, 1)",
}

def _positive_number(what, value):
    """``float(value)`` if it is a positive finite real number, else a ValueError."""
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, numbers.Real)
        or not 0.0 < float(value) < math.inf
    ):
        raise ValueError(f"{what} must be a positive finite number, got {value!r}")
    return float(value)


def _check_setting(owner, key, value, default):
    """``value`` of hyperparameter ``key`` checked against the type of its default and LIMITS."""
    if isinstance(default, bool):
        if not isinstance(value, bool | np.bool_):
            raise ValueError(f"{owner} optimizer: {key} must be True or False, got {value!r}")
        return bool(value)
    return real_in(f"{owner} optimizer: {key}", value, LIMITS[key])


def global_norm(arrays):
    """L2 norm of all the given arrays taken together: ``sqrt(sum_i ||a_i||^2)``."""
    return math.sqrt(sum(float(np.vdot(a, a)) for a in arrays))


def _clip_scale(total_norm, max_norm):
    """``min(1, max_norm / (total_norm + 1e-6))``; 1 when the norm is not finite.

    A NaN or infinite norm leaves the gradient as it is (torch would turn it into NaN), so that
    the trainer sees the divergence instead of a silently zeroed gradient.
    """
    if not math.isfinite(total_norm):
        return 1.0
    coef = max_norm / (total_norm + CLIP_EPS)
    return coef if coef < 1.0 else 1.0


def clip_grad_norm(grads, max_norm):
    """Clip gradients by their global L2 norm, **in place**, like ``clip_grad_norm_``.

    .. math:: \\|g\\| = \\sqrt{\\textstyle\\sum_k \\|g_k\\|^2},\\qquad
              g_k \\leftarrow g_k \\cdot \\min\\left(1, \\frac{c}{\\|g\\| + 10^{-6}}\\right)

    Parameters
    ----------
    grads : dict of str -> ndarray
        Gradient arrays, any shapes; they are scaled in place when the norm exceeds ``max_norm``.
    max_norm : float
        ``c``, a positive number.

    Returns
    -------
    float
        The global norm ``||g||`` before clipping.
    """
    max_norm = _positive_number("max_norm", max_norm)
    total = global_norm(grads.values())
    scale = _clip_scale(total, max_norm)
    if scale < 1.0:
        for g in grads.values():
            g *= scale
    return total


class Optimizer:
    """Base class: per-parameter state, the step count, clipping and L2 weight decay.

    A subclass sets the class attributes, and writes :meth:`_init_state` and :meth:`_update`
    for one parameter array; :meth:`step` calls them for every entry of ``params``.

    Parameters
    ----------
    lr : float
        Learning rate ``eta``, a positive number. A plain attribute: the trainer (a schedule)
        may change ``opt.lr`` between steps.
    clip_norm : float or None
        When set, clip the gradients by their global norm first (see :func:`clip_grad_norm`).
    **hyper
        Hyperparameters; the keys of :attr:`hyper`, each one becoming an attribute.

    Attributes
    ----------
    name : str
        Registry key.
    hyper : dict
        Class attribute: the hyperparameters this optimizer takes and their defaults (torch's).
    latex : str
        The update equations, as ``st.latex`` shows them.
    summary : str
        One line: what it does and when to use it.
    state : dict of str -> dict of str -> ndarray
        Per-parameter moments, keyed by parameter name, then by torch's names for them
        (``"momentum_buffer"``, ``"exp_avg"``, ...).
    t : int
        Steps taken since construction or :meth:`reset` (shared by all parameters).
    grad_norm : float or None
        Global gradient norm before clipping, of the last step (None without ``clip_norm``).
    """

    name = ""
    hyper = {}
    latex = ""
    summary = ""
    l2_weight_decay = True  # weight_decay is added to the gradient; AdamW decouples it

    def __init__(self, lr, clip_norm=None, **hyper):
        self.lr = _positive_number("the learning rate", lr)
        self.clip_norm = None if clip_norm is None else _positive_number("clip_norm", clip_norm)
        unknown = [key for key in hyper if key not in self.hyper]
        if unknown:
            takes = ", ".join([*self.hyper, "clip_norm"])
            raise ValueError(
                f"{self.name} has no hyperparameter {unknown[0]!r}: it takes {takes}"
            )
        for key, default in self.hyper.items():
            value = hyper.get(key, default)
            setattr(self, key, _check_setting(self.name, key, value, default))
        self.reset()

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items())
        return f"{type(self).__name__}({args})"

    def settings(self):
        """``{"lr": ..., <each hyperparameter>: ..., "clip_norm": ...}``: the current values."""
        hyper = {key: getattr(self, key) for key in self.hyper}
        return {"lr": self.lr, **hyper, "clip_norm": self.clip_norm}

    def reset(self):
        """Forget all moments and the step count, as if freshly constructed."""
        self.state = {}
        self.t = 0
        self.grad_norm = None
        self._buffers = {}  # name -> (gradient copy, scratch): reused by every step

    def step(self, params, grads):
        """One update of every array in ``params``, in place.

        Parameters
        ----------
        params : dict of str -> ndarray
            Parameter arrays (float), updated in place.
        grads : dict of str -> ndarray
            Gradients with the same keys and shapes. Never modified.
        """
        scale = 1.0
        if self.clip_norm is not None:
            self.grad_norm = global_norm(grads[name] for name in params)
            scale = _clip_scale(self.grad_norm, self.clip_norm)
        self.t += 1
        for name, p in params.items():
            buffers = self._buffers.get(name)
            if buffers is None:
                buffers = self._buffers[name] = (np.empty_like(p), np.empty_like(p))
            state = self.state.get(name)
            if state is None:
                state = self.state[name] = self._init_state(p)
            g = self._gradient(p, grads[name], scale, *buffers)
            self._update(p, g, state, buffers[1])

    def _gradient(self, p, grad, scale, out, work):
        """``g_t = scale * grad + lambda * theta``, in ``out`` unless it is ``grad`` itself."""
        decay = self.weight_decay if self.l2_weight_decay else 0.0
        if scale == 1.0 and decay == 0.0:
            return grad
        if decay == 0.0:
            return np.multiply(grad, scale, out=out)
        np.multiply(p, decay, out=out)
        out += grad if scale == 1.0 else np.multiply(grad, scale, out=work)
        return out

    # --- what a subclass writes ----------------------------------------------------------

    def _init_state(self, p):
        """The state dict of a parameter like ``p`` before its first step."""
        return {}

    def _update(self, p, g, state, work):
        """Update ``p`` in place from its gradient ``g`` (read only) and ``state``.

        ``work`` is a scratch array shaped like ``p`` (distinct from ``g``).
        """
        raise NotImplementedError


class SGD(Optimizer):
    """Plain stochastic gradient descent.

    .. math::
        g_t = \\nabla L(\\theta_{t-1}) + \\lambda \\theta_{t-1}, \\qquad
        \\theta_t = \\theta_{t-1} - \\eta\\, g_t

    Defaults (torch.optim.SGD): ``weight_decay=0``.
    The subclasses :class:`Momentum` and :class:`Nesterov` add a momentum buffer.
    """

    name = "sgd"
    hyper = {"weight_decay": 0.0}
    latex = r"""\begin{aligned}
g_t &= \nabla L(\theta_{t-1}) + \lambda\,\theta_{t-1} \\
\theta_t &= \theta_{t-1} - \eta\, g_t
\end{aligned}"""
    summary = "Step straight down the gradient; the baseline every other optimizer improves on."
    momentum = 0.0  # fixed here, a hyperparameter of the subclasses
    dampening = 0.0
    nesterov = False

    def _update(self, p, g, state, work):
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:  # first step: b_1 = g_1
                buf = state["momentum_buffer"] = g.copy()
            else:  # b_t = mu b_{t-1} + (1 - tau) g_t
                buf *= self.momentum
                if self.dampening:
                    buf += np.multiply(g, 1.0 - self.dampening, out=work)
                else:
                    buf += g
            if self.nesterov:  # d_t = g_t + mu b_t
                np.multiply(buf, self.momentum, out=work)
                work += g
                g = work
            else:  # d_t = b_t
                g = buf
        np.multiply(g, self.lr, out=work)
        p -= work


class Momentum(SGD):
    """SGD with (heavy-ball) momentum, torch.optim.SGD(momentum=0.9).

    .. math::
        g_t = \\nabla L(\\theta_{t-1}) + \\lambda \\theta_{t-1}, \\quad
        b_t = \\mu b_{t-1} + (1 - \\tau) g_t \\;(b_1 = g_1), \\quad
        \\theta_t = \\theta_{t-1} - \\eta\\, b_t

    Defaults: ``momentum=0.9`` (mu), ``dampening=0`` (tau), ``weight_decay=0``.
    State: ``"momentum_buffer"`` (b), created on the first step as a copy of ``g_1``.
    """

    name = "momentum"
    hyper = {"momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0}
    latex = r"""\begin{aligned}
g_t &= \nabla L(\theta_{t-1}) + \lambda\,\theta_{t-1} \\
b_t &= \mu\, b_{t-1} + (1-\tau)\, g_t \\
b_1 &= g_1 \\
\theta_t &= \theta_{t-1} - \eta\, b_t
\end{aligned}"""
    summary = "SGD that keeps a running velocity: faster along shallow valleys, damps zig-zags."


class Nesterov(SGD):
    """SGD with Nesterov momentum, torch.optim.SGD(momentum=0.9, nesterov=True).

    .. math::
        g_t = \\nabla L(\\theta_{t-1}) + \\lambda \\theta_{t-1}, \\quad
        b_t = \\mu b_{t-1} + g_t \\;(b_1 = g_1), \\quad
        \\theta_t = \\theta_{t-1} - \\eta\\,(g_t + \\mu b_t)

    Defaults: ``momentum=0.9`` (mu, must be > 0), ``weight_decay=0``. No dampening (torch
    requires it to be 0 with Nesterov). State: ``"momentum_buffer"`` (b).
    """

    name = "nesterov"
    hyper = {"momentum": 0.9, "weight_decay": 0.0}
    latex = r"""\begin{aligned}
g_t &= \nabla L(\theta_{t-1}) + \lambda\,\theta_{t-1} \\
b_t &= \mu\, b_{t-1} + g_t, \quad b_1 = g_1 \\
\theta_t &= \theta_{t-1} - \eta\,(g_t + \mu\, b_t)
\end{aligned}"""
    summary = "Momentum that looks ahead: corrects the velocity before overshooting."
    nesterov = True

    def __init__(self, lr, clip_norm=None, **hyper):
        super().__init__(lr, clip_norm, **hyper)
        if self.momentum == 0.0:
            raise ValueError("nesterov momentum must be greater than 0 (use 'sgd' for none)")


class Adagrad(Optimizer):
    """Adagrad: per-coordinate steps shrinking with the sum of past squared gradients.

    .. math::
        g_t = \\nabla L(\\theta_{t-1}) + \\lambda \\theta_{t-1}, \\quad
        \\tilde\\eta_t = \\frac{\\eta}{1 + (t-1)\\,\\gamma}, \\quad
        s_t = s_{t-1} + g_t^2 \\;(s_0 = s_\\text{init}), \\quad
        \\theta_t = \\theta_{t-1} - \\tilde\\eta_t \\frac{g_t}{\\sqrt{s_t} + \\epsilon}

    Defaults (torch.optim.Adagrad): ``lr_decay=0`` (gamma), ``weight_decay=0``,
    ``initial_accumulator_value=0`` (s_init), ``eps=1e-10``. State: ``"sum"`` (s).
    """

    name = "adagrad"
    hyper = {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10}
    latex = r"""\begin{aligned}
g_t &= \nabla L(\theta_{t-1}) + \lambda\,\theta_{t-1} \\
\tilde\eta_t &= \eta \,/\, \big(1 + (t-1)\,\gamma\big) \\
s_t &= s_{t-1} + g_t^2, \quad s_0 = s_\mathrm{init} \\
\theta_t &= \theta_{t-1} - \tilde\eta_t\, g_t / \big(\sqrt{s_t} + \epsilon\big)
\end{aligned}"""
    summary = "Per-parameter steps that shrink as gradients accumulate; good for sparse features."

    def _init_state(self, p):
        return {"sum": np.full_like(p, self.initial_accumulator_value)}

    def _update(self, p, g, state, work):
        clr = self.lr / (1.0 + (self.t - 1) * self.lr_decay)
        s = state["sum"]
        s += np.multiply(g, g, out=work)
        np.sqrt(s, out=work)
        work += self.eps
        np.divide(g, work, out=work)
        work *= clr
        p -= work


class RMSprop(Optimizer):
    """RMSprop: divide by a running root-mean-square of the gradients.

    .. math::
        g_t = \\nabla L(\\theta_{t-1}) + \\lambda \\theta_{t-1}, \\quad
        v_t = \\alpha v_{t-1} + (1-\\alpha) g_t^2, \\quad
        d_t = \\sqrt{v_t} + \\epsilon

    Centered: ``a_t = alpha a_{t-1} + (1 - alpha) g_t`` and ``d_t = sqrt(v_t - a_t^2) + eps``.
    Then, without momentum ``theta_t = theta_{t-1} - eta g_t / d_t``; with momentum mu > 0,
    ``b_t = mu b_{t-1} + g_t / d_t`` and ``theta_t = theta_{t-1} - eta b_t``. All buffers
    start at 0.

    Defaults (torch.optim.RMSprop): ``alpha=0.99``, ``eps=1e-8``, ``weight_decay=0``,
    ``momentum=0``, ``centered=False``. State: ``"square_avg"`` (v), ``"grad_avg"`` (a, when
    centered), ``"momentum_buffer"`` (b, when momentum > 0).
    """

    name = "rmsprop"
    hyper = {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}
    latex = r"""\begin{aligned}
g_t &= \nabla L(\theta_{t-1}) + \lambda\,\theta_{t-1} \\
v_t &= \alpha\, v_{t-1} + (1-\alpha)\, g_t^2 \\
d_t &= \sqrt{v_t} + \epsilon \\
&\text{centered:} \\
a_t &= \alpha\, a_{t-1} + (1-\alpha)\, g_t \\
d_t &= \sqrt{v_t - a_t^2} + \epsilon \\
b_t &= \mu\, b_{t-1} + g_t / d_t \\
\theta_t &= \theta_{t-1} - \eta\, b_t \\
&\text{(}\mu = 0\text{: } b_t = g_t / d_t\text{)}
\end{aligned}"""
    summary = "Divides each step by a running RMS of recent gradients; adapts per parameter."

    def _init_state(self, p):
        state = {"square_avg": np.zeros_like(p)}
        if self.centered:
            state["grad_avg"] = np.zeros_like(p)
        if self.momentum:
            state["momentum_buffer"] = np.zeros_like(p)
        return state

    def _update(self, p, g, state, work):
        v = state["square_avg"]
        v *= self.alpha
        np.multiply(g, g, out=work)
        work *= 1.0 - self.alpha
        v += work
        if self.centered:
            a = state["grad_avg"]  # a += (1 - alpha) (g - a): torch's lerp, same value
            np.subtract(g, a, out=work)
            work *= 1.0 - self.alpha
            a += work
            np.multiply(a, a, out=work)
            np.subtract(v, work, out=work)
            np.maximum(work, 0.0, out=work)  # v >= a^2 in exact math; rounding can dip below
            np.sqrt(work, out=work)
        else:
            np.sqrt(v, out=work)
        work += self.eps
        np.divide(g, work, out=work)
        if self.momentum:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += work
            np.multiply(b, self.lr, out=work)
        else:
            work *= self.lr
        p -= work


class Adam(Optimizer):
    """Adam: momentum on the gradient, RMSprop-style scaling, both bias-corrected.

    .. math::
        g_t = \\nabla L(\\theta_{t-1}) + \\lambda \\theta_{t-1}, \\quad
        m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t, \\quad
        v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2,

        \\hat m_t = \\frac{m_t}{1-\\beta_1^t}, \\quad \\hat v_t = \\frac{v_t}{1-\\beta_2^t}, \\quad
        \\theta_t = \\theta_{t-1} - \\eta \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}

    With ``amsgrad=True``, ``v_t`` in ``hat v_t`` is replaced by its running maximum
    ``max(v_1, ..., v_t)``. Moments start at 0.

    Defaults (torch.optim.Adam): ``beta1=0.9``, ``beta2=0.999`` (torch's ``betas``),
    ``eps=1e-8``, ``weight_decay=0`` (L2, added to the gradient), ``amsgrad=False``.
    State: ``"exp_avg"`` (m), ``"exp_avg_sq"`` (v), ``"max_exp_avg_sq"`` (amsgrad).
    """

    name = "adam"
    hyper = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
    latex = r"""\begin{aligned}
g_t &= \nabla L(\theta_{t-1}) + \lambda\,\theta_{t-1} \\
m_t &= \beta_1\, m_{t-1} + (1-\beta_1)\, g_t \\
v_t &= \beta_2\, v_{t-1} + (1-\beta_2)\, g_t^2 \\
\hat m_t &= m_t / (1-\beta_1^t) \\
\hat v_t &= v_t / (1-\beta_2^t) \\
\theta_t &= \theta_{t-1} - \eta\, \hat m_t / \big(\sqrt{\hat v_t} + \epsilon\big)
\end{aligned}"""
    summary = "Momentum plus per-parameter RMS scaling, bias-corrected; the usual default choice."

    def _init_state(self, p):
        state = {"exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
        if self.amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(p)
        return state

    def _update(self, p, g, state, work):
        m, v = state["exp_avg"], state["exp_avg_sq"]
        np.subtract(g, m, out=work)  # m += (1 - beta1) (g - m): torch's lerp, same value
        work *= 1.0 - self.beta1
        m += work
        v *= self.beta2
        np.multiply(g, g, out=work)
        work *= 1.0 - self.beta2
        v += work
        if self.amsgrad:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        np.sqrt(v, out=work)
        work /= math.sqrt(1.0 - self.beta2**self.t)  # sqrt(hat v_t)
        work += self.eps
        np.divide(m, work, out=work)
        work *= self.lr / (1.0 - self.beta1**self.t)  # hat m_t
        p -= work


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay.

    .. math::
        \\theta' = \\theta_{t-1}\\,(1 - \\eta \\lambda), \\qquad
        \\theta_t = \\theta' - \\eta \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}

    where ``hat m_t``, ``hat v_t`` are Adam's, computed from the plain gradient (no L2 term).

    Defaults (torch.optim.AdamW): as :class:`Adam` but ``weight_decay=0.01``.
    """

    name = "adamw"
    hyper = {**Adam.hyper, "weight_decay": 0.01}
    latex = r"""\begin{aligned}
g_t &= \nabla L(\theta_{t-1}) \\
m_t &= \beta_1\, m_{t-1} + (1-\beta_1)\, g_t \\
v_t &= \beta_2\, v_{t-1} + (1-\beta_2)\, g_t^2 \\
\hat m_t &= m_t / (1-\beta_1^t) \\
\hat v_t &= v_t / (1-\beta_2^t) \\
\theta_t &= \theta_{t-1}(1 - \eta\lambda) \\
&\quad - \eta\, \hat m_t / \big(\sqrt{\hat v_t} + \epsilon\big)
\end{aligned}"""
    summary = "Adam with weight decay applied to the weights directly, not mixed into the gradient."
    l2_weight_decay = False

    def _update(self, p, g, state, work):
        if self.weight_decay:
            p *= 1.0 - self.lr * self.weight_decay
        super()._update(p, g, state, work)


#: name -> optimizer class, in the order the UI lists them.
REGISTRY = {cls.name: cls for cls in (SGD, Momentum, Nesterov, Adagrad, RMSprop, Adam, AdamW)}


def get(name, lr, **hyper):
    """A new optimizer by registry name, e.g. ``get("adam", 0.01, beta2=0.99, clip_norm=1.0)``.

    Raises
    ------
    ValueError
        On an unknown name (listing the known ones), an unknown hyperparameter (listing the
        allowed ones), a learning rate that is not a positive finite number, or a
        hyperparameter outside its :data:`LIMITS`.
    """
    try:
        cls = REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown optimizer {name!r}: choose one of {', '.join(REGISTRY)}"
        ) from None
    return cls(lr, **hyper)


def names():
    """Registry names, in order."""
    return list(REGISTRY)
