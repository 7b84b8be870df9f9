"""Pure Plotly figure builders: engine results in, ``go.Figure`` out, no Streamlit.

- ``base``: the palette, layout helpers and history decimation every chart shares;
- ``training``: loss curves, the model on the data, weights and gradients;
- ``landscape``: loss landscapes with the optimizer's path, demo surfaces, loss shapes;
- ``compare``: compared runs, the LR sweep and the LR range test.
"""
