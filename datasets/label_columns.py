"""The batch column that carries a Label Studio task's labels from the reader to the import.

Not metadata: the import takes it out of the row before the item is written. No Django here:
validation (which must not count it as a column) imports it too.
"""

LABELSTUDIO_COLUMN = "__labelstudio__"
