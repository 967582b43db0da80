"""A model version measured against the settled labels and against the people who labeled.

``metrics``: the statistics, fed numpy arrays, with no Django import; ``data``: reading the
arrays; ``report``: the evaluation as JSON; ``services``/``selectors``: its cache.
"""
