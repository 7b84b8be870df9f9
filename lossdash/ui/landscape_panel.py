"""The loss landscape beside the live charts (filled in by the landscape work)."""


def draw(run):
    """Draw the landscape of ``run``'s loss around its weights, with the optimizer's path."""


def draw_compare(comparison):
    """Every compared run's path on one landscape (when the model has two parameters)."""
