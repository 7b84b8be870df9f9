"""Benchmarks: ``python -m lossdash.bench [sections]`` prints figures, never asserts them
(machines are noisy). One module per section:

- ``engine``: optimizer steps per second, against PyTorch CPU when it is installed;
- ``landscape``: exact and random-direction loss landscapes;
- ``sweep``: K learning rates trained as one (K, P) array against one after another;
- ``charts``: building the live charts;
- ``dashboard``: the real ``streamlit run app.py`` in headless Chromium;
- ``sessions``: 10 and 20 browser sessions of one server, all playing;
- ``memory``: one session's history and chart payloads over a 1,000,000-step run.
"""
