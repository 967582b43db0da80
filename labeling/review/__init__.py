"""The review side of labeling: agreement, consensus, gold answers, label issues and adjudication.

``selectors`` read the project's annotations as numpy arrays (never model instances) and
feed them to the pure statistics of ``labeling.agreement``; ``services`` hold every write
(adjudications, gold answers, predictions, the cache of computed results); ``api`` and
``views`` are thin; ``charts`` draws the dashboard's SVG.
"""
