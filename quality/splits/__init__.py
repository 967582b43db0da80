"""Train/dev/test splits: grouped, stratified and stable (pure assignment in ``assign``), run as a job."""
