"""The review side of labeling: agreement, consensus, gold answers, label issues and adjudication.

``selectors`` read the project's annotations as numpy arrays (never model instances) and
the cached results (never writing), and feed them to the pure statistics of
``labeling.agreement``; ``report`` types the agreement report once for the API and the page;
``services`` hold every write (decisions, the cache of computed results, and ``refresh``, the
one place a result is handed to a worker); ``api``, ``forms`` and ``views`` are thin;
the dashboard's SVG comes from ``config.charts``.
"""
