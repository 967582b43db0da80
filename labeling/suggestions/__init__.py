"""A model in the labeling loop: its suggestion on the labeling page, the uncertainty order of
the queue, and how much the suggestions pull the labels (anchoring)."""
