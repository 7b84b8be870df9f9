"""Lessons: setups that each show one thing, with what to watch and what to try next.

A lesson is plain data: its run settings (``RunConfig`` fields; the rest keep their defaults),
the view and view settings it opens, and two or three lines of text. ``?lesson=<key>`` opens
it (settings also named in the link win), so a lesson is a link a teacher can share.
``tests/test_lessons.py`` opens every lesson and checks that it shows what its text promises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lossdash import config


@dataclass(frozen=True)
class Lesson:
    key: str  # the URL value: ?lesson=<key>
    title: str
    settings: dict  # RunConfig fields that differ from the defaults
    watch: str  # what to look at while it trains
    try_next: str  # one change to make, and what it does
    ui: dict = field(default_factory=dict)  # other URL keys: the view and its choices

    def config(self):
        return config.RunConfig(**self.settings)

    def changes(self):
        """Every setting the lesson writes: all run fields (defaults included, so what an
        earlier setup changed does not linger) and its view choices."""
        return {**self.config().to_dict(), "view": "Train", **self.ui}


LESSONS = [
    Lesson(
        "first_fit", "The classic demo: y = 3x + noise",
        {"max_epochs": 300},
        "Gradient descent walks the line to w ≈ 3 and b ≈ 0.5, the least-squares answer, and "
        "the loss flattens out as it arrives.",
        "Drag the learning rate down to 0.05: the same line, many more epochs.",
    ),
    Lesson(
        "lr_too_large", "A learning rate too large",
        {"lr": 1.0},
        "Each step overshoots the bottom of the valley by more than the last: the loss grows "
        "until the run stops as diverged.",
        "Set the learning rate to 0.5: the same steps now shrink and the line fits.",
    ),
    Lesson(
        "momentum_ravine", "Momentum in a ravine",
        {"optimizer": "momentum", "lr": 0.05, "momentum": 0.9, "max_epochs": 100},
        "With x in [0, 1], w and b pull against each other: a long narrow valley. Momentum "
        "builds speed along it and ends near the bottom (R² ≈ 0.9) in 100 epochs.",
        "Switch the optimizer to sgd with the same rate: after 100 epochs it is still "
        "crawling down the valley (R² ≈ 0.8).",
    ),
    Lesson(
        "outliers", "MSE against MAE with outliers",
        {}, "Five points far below the line: squaring their errors lets them drag the MSE "
        "line down to a slope near 1, while MAE (and Huber) keep the slope near 3.",
        "Raise the number of outliers: MAE holds until they are about half the points.",
        ui={"view": "Loss shapes", "outliers_k": 5},
    ),
    Lesson(
        "unscaled", "Unscaled features, then Standardize",
        {"dataset": "plane", "lr": 0.5},
        "The inputs run from -6 to 6, so the loss is steep and a rate that suits scaled data "
        "throws the weights out: the run diverges in a few epochs.",
        "Tick 'Standardize features': with inputs of mean 0 and spread 1 the same rate "
        "converges in about ten epochs.",
    ),
    Lesson(
        "overfitting", "Overfitting: few points, too much model",
        {"dataset": "sine", "n_samples": 20, "noise": 0.3, "degree": 12,
         "standardize": True, "optimizer": "adam", "lr": 0.05, "max_epochs": 2000},
        "Sixteen noisy points and a degree-12 polynomial: the training loss keeps falling "
        "while the validation loss turns up after a few dozen epochs: the curve learns the "
        "noise.",
        "Raise the points to 200: with the same degree 12 the validation loss falls to "
        "the end, next to the training loss.",
    ),
    Lesson(
        "adam_spiral", "Adam against SGD on the spiral",
        {"dataset": "spiral", "n_samples": 300, "standardize": True, "model": "mlp",
         "hidden": "16,16", "loss": "bce", "optimizer": "adam", "lr": 0.03,
         "max_epochs": 1000},
        "Adam's per-weight step sizes untangle the two arms: validation accuracy passes 95 %.",
        "Switch to sgd at the same 0.03 or at 0.1: it stalls near 60 %. Adding the sin(x1) "
        "and sin(x2) inputs makes the spiral easy for both.",
    ),
    Lesson(
        "circle_features", "A circle from a straight line",
        {"dataset": "circle", "features": "x1_sq,x2_sq", "standardize": True, "loss": "bce",
         "max_epochs": 200},
        "A linear model cannot draw a circle in (x1, x2), but in (x1², x2²) the disc is a "
        "corner: the line there is a circle here, and accuracy reaches 100 %.",
        "Switch the inputs back to x1 and x2: accuracy stays near 50 %; or keep them and "
        "add a hidden layer with the + button.",
    ),
    Lesson(
        "himmelblau", "Local minima on Himmelblau's function",
        {}, "Four minima, equally deep: started at (0, 0), every optimizer rolls into the one "
        "at (3, 2).",
        "Set the start to (-1, -1): the same optimizers end at (-3.78, -3.28). Where you "
        "start decides where you end.",
        ui={"view": "Loss shapes", "surface": "himmelblau"},
    ),
]
BY_KEY = {lesson.key: lesson for lesson in LESSONS}


def url_changes(key, named=()):
    """What opening ``?lesson=<key>`` writes: the lesson's settings except those the link
    names itself (empty for an unknown lesson)."""
    lesson = BY_KEY.get(key)
    if lesson is None:
        return {}
    return {k: v for k, v in lesson.changes().items() if k not in named}
