"""lossdash: see how a loss function and gradient descent train a model.

The engine (``data``, ``losses``, ``models``, ``optimizers``, ``schedules``, ``engine``) is pure
NumPy; ``charts`` builds Plotly figures from its results; ``ui`` is the Streamlit dashboard.
"""

__version__ = "0.1.0"
