"""What is built on the engine to explore a run: loss landscapes (``landscape``), loss shapes and
demo surfaces (``shapes``), the learning-rate finder and sweep (``lrfind``), and several variants
trained side by side (``compare``). NumPy only, like the engine."""
