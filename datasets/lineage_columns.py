"""The batch columns that carry an augmented row's lineage rather than metadata.

No Django here: validation (which must not count them as new columns) imports it too.
"""

SOURCE_ID_COLUMN = "source"
SOURCE_ITEM_COLUMN = "source_item"
METHOD_COLUMN = "augmentation_method"
PARAMS_COLUMN = "augmentation_params"
SEED_COLUMN = "augmentation_seed"
LIBRARY_COLUMN = "augmentation_library"
LIBRARY_VERSION_COLUMN = "augmentation_library_version"
CONFIG_HASH_COLUMN = "augmentation_config_hash"
LABEL_POLICY_COLUMN = "augmentation_label_policy"
JOB_COLUMN = "augmentation_job"
LINEAGE_COLUMNS = (
    SOURCE_ID_COLUMN,
    SOURCE_ITEM_COLUMN,
    METHOD_COLUMN,
    PARAMS_COLUMN,
    SEED_COLUMN,
    LIBRARY_COLUMN,
    LIBRARY_VERSION_COLUMN,
    CONFIG_HASH_COLUMN,
    LABEL_POLICY_COLUMN,
    JOB_COLUMN,
)
