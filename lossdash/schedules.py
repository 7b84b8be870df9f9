"""Learning-rate schedules: the learning rate as a closed-form function of the epoch.

Every schedule is a small class behind the :class:`Schedule` base, and :data:`REGISTRY` maps its
name to the class. ``get(name, **hyper).lr_at(base_lr, epoch)`` gives the learning rate after
``epoch`` completed epochs (an int, or a float for fractions of an epoch); the object is also
callable, ``schedule(base_lr, epoch)``. At whole epochs the values equal those of the matching
``torch.optim.lr_scheduler`` class after ``epoch`` calls of ``scheduler.step()``.

Add a schedule by writing one class and one :data:`REGISTRY` entry; the UI and the tests pick
it up from there.
"""

import math

from lossdash.checks import real_in

#: Allowed interval of every hyperparameter (the UI may use it for its widgets).
LIMITS = {
    "step_size": "(0, inf)",
    "gamma": "(0, 1]",
    "T_max": "(0, inf)",
    "eta_min": "[0, inf)",
    "decay": "[0, inf)",
}

def _check_setting(owner, key, value):
    """``float(value)`` if it is a real number inside ``LIMITS[key]``, else a ValueError."""
    return real_in(f"{owner} schedule: {key}", value, LIMITS[key])


class Schedule:
    """Base class: validated hyperparameters as attributes, and ``lr_at``.

    Attributes
    ----------
    name : str
        Registry key.
    hyper : dict
        Class attribute: the hyperparameters and their defaults.
    latex : str
        The formula, as ``st.latex`` shows it (``eta_0`` is the base learning rate, ``e`` the
        epoch).
    summary : str
        One line: what it does.
    """

    name = ""
    hyper = {}
    latex = ""
    summary = ""

    def __init__(self, **hyper):
        unknown = [key for key in hyper if key not in self.hyper]
        if unknown:
            takes = ", ".join(self.hyper) or "no settings"
            raise ValueError(
                f"the {self.name} schedule has no setting {unknown[0]!r}: it takes {takes}"
            )
        for key, default in self.hyper.items():
            setattr(self, key, _check_setting(self.name, key, hyper.get(key, default)))

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyper)
        return f"{type(self).__name__}({args})"

    def __call__(self, base_lr, epoch):
        return self.lr_at(base_lr, epoch)

    def lr_at(self, base_lr, epoch):
        """Learning rate after ``epoch`` (>= 0) completed epochs, from ``base_lr``."""
        if not epoch >= 0:
            raise ValueError(f"epoch must be a number >= 0, got {epoch!r}")
        return float(self._lr(base_lr, epoch))

    def _lr(self, base_lr, epoch):
        raise NotImplementedError


class Constant(Schedule):
    """``eta_e = eta_0``: the learning rate never changes."""

    name = "constant"
    latex = r"\eta_e = \eta_0"
    summary = "Keep the learning rate fixed."

    def _lr(self, base_lr, epoch):
        return base_lr


class Step(Schedule):
    """``eta_e = eta_0 * gamma ** floor(e / step_size)``, like torch's ``StepLR``.

    Defaults: ``step_size=10`` epochs, ``gamma=0.1``.
    """

    name = "step"
    hyper = {"step_size": 10, "gamma": 0.1}
    latex = r"\eta_e = \eta_0\, \gamma^{\lfloor e / s \rfloor}"
    summary = "Multiply the learning rate by gamma every step_size epochs."

    def _lr(self, base_lr, epoch):
        return base_lr * self.gamma ** math.floor(epoch / self.step_size)


class Exponential(Schedule):
    """``eta_e = eta_0 * gamma ** e``, like torch's ``ExponentialLR`` (smooth between epochs).

    Default: ``gamma=0.95``.
    """

    name = "exponential"
    hyper = {"gamma": 0.95}
    latex = r"\eta_e = \eta_0\, \gamma^{e}"
    summary = "Multiply the learning rate by gamma every epoch."

    def _lr(self, base_lr, epoch):
        return base_lr * self.gamma**epoch


class Cosine(Schedule):
    """Cosine annealing, the closed form of torch's ``CosineAnnealingLR``.

    .. math:: \\eta_e = \\eta_\\min + \\tfrac12 (\\eta_0 - \\eta_\\min)
              \\left(1 + \\cos\\frac{\\pi e}{T_\\max}\\right)

    It reaches ``eta_min`` at ``e = T_max`` and, as in torch, continues as a cosine of period
    ``2 T_max`` afterwards (rising back to ``eta_0`` at ``2 T_max``).
    Defaults: ``T_max=50`` epochs, ``eta_min=0``.
    """

    name = "cosine"
    hyper = {"T_max": 50, "eta_min": 0.0}
    latex = (
        r"\eta_e = \eta_\min + \tfrac12\,(\eta_0 - \eta_\min)"
        r"\left(1 + \cos\frac{\pi e}{T_\max}\right)"
    )
    summary = "Lower the learning rate along a half cosine, from its base to eta_min at T_max."

    def _lr(self, base_lr, epoch):
        cos = math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (base_lr - self.eta_min) * (1.0 + cos) / 2.0


class InverseTime(Schedule):
    """``eta_e = eta_0 / (1 + decay * e)``: the "1/t" decay of stochastic approximation.

    Default: ``decay=0.1``.
    """

    name = "inverse_time"
    hyper = {"decay": 0.1}
    latex = r"\eta_e = \frac{\eta_0}{1 + k\, e}"
    summary = "Shrink the learning rate like 1/t: halved after 1/decay epochs."

    def _lr(self, base_lr, epoch):
        return base_lr / (1.0 + self.decay * epoch)


#: name -> schedule class, in the order the UI lists them.
REGISTRY = {cls.name: cls for cls in (Constant, Step, Exponential, Cosine, InverseTime)}


def get(name, **hyper):
    """A new schedule by registry name, e.g. ``get("step", step_size=5, gamma=0.5)``.

    Raises
    ------
    ValueError
        On an unknown name (listing the known ones), an unknown setting (listing the allowed
        ones) or a value outside its :data:`LIMITS`.
    """
    try:
        cls = REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown schedule {name!r}: choose one of {', '.join(REGISTRY)}"
        ) from None
    return cls(**hyper)


def names():
    """Registry names, in order."""
    return list(REGISTRY)
