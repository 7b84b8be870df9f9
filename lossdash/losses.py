"""Loss functions: value and gradient side by side, in pure NumPy.

Every loss is a small class behind the :class:`Loss` base, and :data:`REGISTRY` maps its
name to the class. Values and gradients follow PyTorch's losses with ``reduction="mean"``:
the loss of a batch is the **mean** over its ``n`` samples of the per-sample loss, and the
gradient is taken with respect to the **raw model output** (the logits, for classification).

Shapes
------
``y_true`` is ``(n,)``: targets (regression), labels 0/1 (``bce``, ``hinge``) or integer
labels ``0..k-1`` (``cross_entropy``). ``output`` is ``(..., n)`` (``(..., n, k)`` for
``cross_entropy``) in :meth:`Loss.pointwise` and :meth:`Loss.pointwise_grad`, where the
leading axes broadcast so that many parameter settings can be evaluated at once. ``value``,
``grad`` and ``value_and_grad`` take one batch: ``(n,)`` or ``(n, 1)`` (or ``(n, k)``).

Add a loss by writing one class and one :data:`REGISTRY` entry; the UI and the tests pick
it up from there.
"""

import numpy as np

TASKS = ("regression", "classification")
LOG_2 = float(np.log(2.0))


def _stable_sigmoid(z, e):
    """sigmoid(z) from ``e = exp(-|z|)``, without overflow at any z.

    sigmoid(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0.
    """
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


class Loss:
    """Base class: the mean over samples of a per-sample loss.

    A subclass sets the class attributes and writes :meth:`pointwise` and
    :meth:`pointwise_grad`; :meth:`value`, :meth:`grad` and :meth:`value_and_grad` follow
    from them (subclasses may override them to share work).

    Attributes
    ----------
    name : str
        Registry key.
    task : {"regression", "classification"}
    latex : str
        The formula, as ``st.latex`` shows it.
    summary : str
        One line: when to use it.
    """

    name = ""
    task = "regression"
    latex = ""
    summary = ""

    def __repr__(self):
        return f"{type(self).__name__}()"

    # --- what a subclass writes -------------------------------------------------------

    def pointwise(self, y_true, output):
        """Per-sample loss ``l_i``; ``output`` (..., n) -> result (..., n)."""
        raise NotImplementedError

    def pointwise_grad(self, y_true, output):
        """``d l_i / d output_i``, the same shape as ``output``."""
        raise NotImplementedError

    # --- one batch: mean over the n samples -------------------------------------------

    def _batch(self, y_true, output):
        """``(y, z)`` with y of shape (n,) and z of shape (n,): (n, 1) means the same as (n,)."""
        return np.asarray(y_true).reshape(-1), np.asarray(output, dtype=float).reshape(-1)

    def value(self, y_true, output):
        """Mean loss ``L = (1/n) sum_i l_i`` over one batch.

        Parameters
        ----------
        y_true : array of shape (n,)
        output : array of shape (n,) or (n, 1) ((n, k) for cross_entropy)

        Returns
        -------
        float
        """
        y, z = self._batch(y_true, output)
        return float(np.mean(self.pointwise(y, z)))

    def grad(self, y_true, output):
        """``dL / d output = l'_i / n``, an array of ``output``'s shape."""
        y, z = self._batch(y_true, output)
        g = self.pointwise_grad(y, z)
        g /= len(z)
        return g.reshape(np.shape(output))

    def value_and_grad(self, y_true, output):
        """``(value, grad)`` in one call; subclasses share the work between the two."""
        return self.value(y_true, output), self.grad(y_true, output)

    # --- what the metrics and charts read ---------------------------------------------

    def predict(self, output):
        """The prediction the metric uses; for regression the output itself, shape (n,)."""
        return np.asarray(output, dtype=float).reshape(-1)

    def proba(self, output):
        """Probabilities for classification; regression losses return the output, shape (n,)."""
        return self.predict(output)

    def n_outputs(self, n_classes=None):
        """How many model outputs the loss needs: 1 for regression."""
        return 1


class BinaryLoss(Loss):
    """A loss on one raw score ``z`` per sample, with labels 0/1; class 1 when ``z > 0``."""

    task = "classification"

    def predict(self, output):
        """Label 0/1 (int) per sample: 1 where the score is positive. Shape (n,)."""
        return (np.asarray(output, dtype=float).reshape(-1) > 0).astype(np.intp)

    def proba(self, output):
        """P(class 1) = sigmoid(z), shape (n,)."""
        z = np.asarray(output, dtype=float).reshape(-1)
        return _stable_sigmoid(z, np.exp(-np.abs(z)))

    def n_outputs(self, n_classes=2):
        """1 output (one score); a binary loss cannot fit more than two classes."""
        if n_classes is not None and n_classes > 2:
            raise ValueError(
                f"the '{self.name}' loss separates two classes, but this dataset has "
                f"{n_classes}: choose 'cross_entropy' for more than two classes"
            )
        return 1


# ======================================================================================
# Regression
# ======================================================================================


class MSE(Loss):
    r"""Mean squared error (``torch.nn.MSELoss``).

    l_i = (z_i - y_i)^2,    d l_i / d z_i = 2 (z_i - y_i),    L = (1/n) sum_i l_i.
    """

    name = "mse"
    latex = r"L = \frac{1}{n}\sum_{i=1}^{n} \left(\hat y_i - y_i\right)^2"
    summary = "the default for regression: big errors count quadratically more than small ones"

    def pointwise(self, y_true, output):
        r = np.subtract(output, y_true, dtype=float)
        return np.square(r, out=r)

    def pointwise_grad(self, y_true, output):
        r = np.subtract(output, y_true, dtype=float)
        return np.multiply(r, 2.0, out=r)

    def value_and_grad(self, y_true, output):
        y, z = self._batch(y_true, output)
        r = z - y
        n = len(r)
        value = float(r @ r) / n
        return value, np.multiply(r, 2.0 / n, out=r).reshape(np.shape(output))


class MAE(Loss):
    r"""Mean absolute error (``torch.nn.L1Loss``).

    l_i = |z_i - y_i|,    d l_i / d z_i = sign(z_i - y_i)  (0 at z_i = y_i, as torch).
    """

    name = "mae"
    latex = r"L = \frac{1}{n}\sum_{i=1}^{n} \left|\hat y_i - y_i\right|"
    summary = "robust to outliers: every error pushes with the same force"

    def pointwise(self, y_true, output):
        r = np.subtract(output, y_true, dtype=float)
        return np.abs(r, out=r)

    def pointwise_grad(self, y_true, output):
        r = np.subtract(output, y_true, dtype=float)
        return np.sign(r, out=r)

    def value_and_grad(self, y_true, output):
        y, z = self._batch(y_true, output)
        r = z - y
        n = len(r)
        value = float(np.abs(r).sum()) / n
        g = np.sign(r, out=r)
        g /= n
        return value, g.reshape(np.shape(output))


class Huber(Loss):
    r"""Huber loss (``torch.nn.HuberLoss``), quadratic near 0 and linear beyond ``delta``.

    With r_i = z_i - y_i and c_i = min(|r_i|, delta):

        l_i = 0.5 r_i^2                     if |r_i| < delta
              delta (|r_i| - 0.5 delta)     otherwise
            = c_i (|r_i| - 0.5 c_i)         (the same, in one expression)

        d l_i / d z_i = clip(r_i, -delta, delta)

    Parameters
    ----------
    delta : float, default 1.0
        Where the quadratic part turns linear; must be positive.
    """

    name = "huber"
    latex = (  # two lines: the dashboard's sidebar is narrow
        r"\begin{aligned} L &= \frac{1}{n}\sum_{i=1}^{n} \ell_\delta(r_i),"
        r"\quad r_i = \hat y_i - y_i \\"
        r" \ell_\delta(r) &= \begin{cases} \tfrac12 r^2 & |r| < \delta \\"
        r" \delta\left(|r| - \tfrac12\delta\right) & \text{otherwise} \end{cases}"
        r" \end{aligned}"
    )
    summary = "MSE for small errors, MAE for large ones: robust to outliers, smooth near zero"

    def __init__(self, delta=1.0):
        try:
            delta = float(delta)
        except (TypeError, ValueError):
            delta = float("nan")
        if not delta > 0:  # also rejects nan
            raise ValueError(f"Huber's delta must be a positive number, got {delta}")
        self.delta = delta

    def __repr__(self):
        return f"Huber(delta={self.delta})"

    def pointwise(self, y_true, output):
        a = np.abs(np.subtract(output, y_true, dtype=float))
        c = np.minimum(a, self.delta)
        return c * (a - 0.5 * c)

    def pointwise_grad(self, y_true, output):
        r = np.subtract(output, y_true, dtype=float)
        return np.clip(r, -self.delta, self.delta, out=r)

    def value_and_grad(self, y_true, output):
        y, z = self._batch(y_true, output)
        r = z - y
        n = len(r)
        a = np.abs(r)
        c = np.minimum(a, self.delta)
        value = float(c @ (a - 0.5 * c)) / n
        g = np.clip(r, -self.delta, self.delta, out=r)
        g /= n
        return value, g.reshape(np.shape(output))


class LogCosh(Loss):
    r"""Log-cosh loss: ~ r^2 / 2 near 0, ~ |r| - log 2 far away.

    l_i = log cosh(r_i) = |r_i| + log1p(exp(-2 |r_i|)) - log 2   (no overflow at any r),
    d l_i / d z_i = tanh(r_i),  with r_i = z_i - y_i.
    """

    name = "log_cosh"
    latex = r"L = \frac{1}{n}\sum_{i=1}^{n} \log\cosh\left(\hat y_i - y_i\right)"
    summary = "a smooth Huber: quadratic for small errors, linear for large, no delta to tune"

    def pointwise(self, y_true, output):
        a = np.abs(np.subtract(output, y_true, dtype=float))
        return a + np.log1p(np.exp(-2.0 * a)) - LOG_2

    def pointwise_grad(self, y_true, output):
        r = np.subtract(output, y_true, dtype=float)
        return np.tanh(r, out=r)

    def value_and_grad(self, y_true, output):
        y, z = self._batch(y_true, output)
        r = z - y
        n = len(r)
        a = np.abs(r)
        value = float((a + np.log1p(np.exp(-2.0 * a))).sum()) / n - LOG_2
        g = np.tanh(r, out=r)
        g /= n
        return value, g.reshape(np.shape(output))


# ======================================================================================
# Classification
# ======================================================================================


class BCE(BinaryLoss):
    r"""Binary cross-entropy on raw logits (``torch.nn.BCEWithLogitsLoss``).

    With labels y_i in {0, 1} and logit z_i, p_i = sigmoid(z_i):

        l_i = -[y_i log p_i + (1 - y_i) log(1 - p_i)]
            = max(z_i, 0) - z_i y_i + log1p(exp(-|z_i|))   (no overflow at any z)
        d l_i / d z_i = p_i - y_i

    ``exp(-|z|)`` is at most 1, so both lines are finite and warning-free for any logit.
    """

    name = "bce"
    latex = (  # two lines: the dashboard's sidebar is narrow
        r"\begin{aligned} L = & -\frac{1}{n}\sum_{i=1}^{n} \Big[ y_i \log \sigma(z_i) \\"
        r" & + (1 - y_i)\log\left(1 - \sigma(z_i)\right)\Big] \end{aligned}"
    )
    summary = "the default for two classes: trains a calibrated probability of class 1"

    def pointwise(self, y_true, output):
        z = np.asarray(output, dtype=float)
        return np.maximum(z, 0.0) - z * y_true + np.log1p(np.exp(-np.abs(z)))

    def pointwise_grad(self, y_true, output):
        z = np.asarray(output, dtype=float)
        p = _stable_sigmoid(z, np.exp(-np.abs(z)))
        return np.subtract(p, y_true, out=p)

    def value_and_grad(self, y_true, output):
        y, z = self._batch(y_true, output)
        n = len(z)
        e = np.exp(-np.abs(z))  # computed once, used by the value and the gradient
        value = float((np.maximum(z, 0.0) + np.log1p(e)).sum() - z @ y) / n
        g = _stable_sigmoid(z, e)
        g -= y
        g /= n
        return value, g.reshape(np.shape(output))


class CrossEntropy(Loss):
    r"""Softmax cross-entropy on raw logits (``torch.nn.CrossEntropyLoss``).

    With integer labels y_i in 0..k-1 and logits z_i of length k, m_i = max_j z_ij:

        l_i = logsumexp(z_i) - z_{i, y_i}
            = log sum_j exp(z_ij - m_i) - (z_{i, y_i} - m_i)   (no overflow at any z)
        d l_i / d z_ij = softmax(z_i)_j - [j == y_i]

    Output shape (..., n, k); the per-sample loss has shape (..., n).
    """

    name = "cross_entropy"
    task = "classification"
    latex = (
        r"L = -\frac{1}{n}\sum_{i=1}^{n} \log"
        r" \frac{e^{z_{i,y_i}}}{\sum_{j=1}^{k} e^{z_{ij}}}"
    )
    summary = "the default for two or more classes: trains a probability for every class"

    @staticmethod
    def _labels(y_true, k):
        """Integer labels; a clear error on one outside 0..k-1 (a negative one would wrap)."""
        y = np.asarray(y_true)
        if y.dtype.kind != "i":
            y = y.astype(np.intp)
        if y.size and (y.min() < 0 or y.max() >= k):
            raise ValueError(
                f"cross_entropy needs integer class labels 0..{k - 1} (one per model output), "
                f"but the labels run from {y.min()} to {y.max()}"
            )
        return y

    def _shifted(self, y_true, output):
        """``(s, y, rows)``: logits minus their row max, int labels, sample indices."""
        z = np.asarray(output, dtype=float)
        s = z - z.max(axis=-1, keepdims=True)
        return s, self._labels(y_true, z.shape[-1]), np.arange(z.shape[-2])

    def _batch(self, y_true, output):
        return np.asarray(y_true).reshape(-1), np.asarray(output, dtype=float)

    def pointwise(self, y_true, output):
        s, y, rows = self._shifted(y_true, output)
        return np.log(np.exp(s).sum(axis=-1)) - s[..., rows, y]

    def pointwise_grad(self, y_true, output):
        s, y, rows = self._shifted(y_true, output)
        p = np.exp(s, out=s)
        p /= p.sum(axis=-1, keepdims=True)
        p[..., rows, y] -= 1.0
        return p

    def value_and_grad(self, y_true, output):
        y, z = self._batch(y_true, output)
        s, y, rows = self._shifted(y, z)
        n = len(rows)
        picked = s[..., rows, y]
        p = np.exp(s, out=s)
        total = p.sum(axis=-1, keepdims=True)
        value = float(np.log(total).sum() - picked.sum()) / n
        p /= total
        p[rows, y] -= 1.0
        p /= n
        return value, p

    def predict(self, output):
        """The class with the largest logit, shape (n,)."""
        return np.argmax(output, axis=-1)

    def proba(self, output):
        """softmax of the logits, shape (n, k)."""
        s = np.asarray(output, dtype=float)
        p = np.exp(s - s.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        return p

    def n_outputs(self, n_classes=2):
        """One logit per class."""
        if n_classes is None or n_classes < 2:
            raise ValueError(f"cross_entropy needs at least two classes, got {n_classes}")
        return int(n_classes)


class Hinge(BinaryLoss):
    r"""Hinge loss of a linear SVM, on labels 0/1 mapped to s_i = 2 y_i - 1 in {-1, +1}.

        l_i = max(0, 1 - s_i z_i)
        d l_i / d z_i = -s_i if s_i z_i < 1 else 0   (0 at the kink, as torch's relu)

    Not a probability model: :meth:`proba` shows sigmoid(z) only as a score in [0, 1].
    """

    name = "hinge"
    latex = (
        r"\begin{aligned} L &= \frac{1}{n}\sum_{i=1}^{n} \max\left(0,\ 1 - s_i z_i\right) \\"
        r" s_i &= 2y_i - 1 \end{aligned}"
    )
    summary = "a max-margin classifier (SVM): ignores points beyond the margin, no probabilities"

    def pointwise(self, y_true, output):
        m = 1.0 - (2.0 * np.asarray(y_true) - 1.0) * output
        return np.maximum(m, 0.0, out=m)

    def pointwise_grad(self, y_true, output):
        s = 2.0 * np.asarray(y_true) - 1.0
        return np.where(1.0 - s * output > 0.0, -s, 0.0)

    def value_and_grad(self, y_true, output):
        y, z = self._batch(y_true, output)
        n = len(z)
        s = 2.0 * y - 1.0
        m = 1.0 - s * z
        active = m > 0.0
        value = float(np.maximum(m, 0.0).sum()) / n
        return value, np.where(active, s * (-1.0 / n), 0.0).reshape(np.shape(output))


#: name -> loss class, in the order the UI lists them.
REGISTRY = {cls.name: cls for cls in (MSE, MAE, Huber, LogCosh, BCE, CrossEntropy, Hinge)}


def get(name, **kwargs):
    """A new loss by registry name, e.g. ``get("huber", delta=2.0)``.

    Raises
    ------
    ValueError
        On an unknown name, listing the known ones.
    """
    try:
        cls = REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown loss {name!r}: choose one of {', '.join(REGISTRY)}"
        ) from None
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ValueError(f"the '{name}' loss does not take the settings {sorted(kwargs)}") from err


def names(task=None):
    """Registry names in order; only those of ``task`` ("regression"/"classification") if given."""
    if task is None:
        return list(REGISTRY)
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}: choose 'regression' or 'classification'")
    return [name for name, cls in REGISTRY.items() if cls.task == task]
