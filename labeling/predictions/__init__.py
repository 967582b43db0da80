"""Model predictions: one named model version per upload, for every task type.

``rows`` checks one row (no Django); ``services`` stores a small JSON body at once or a
file through a worker; ``selectors`` lists the versions and reads them back.
"""
