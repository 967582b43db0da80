"""Leakage between splits: exact and near duplicates found by hashing (pure), and the job that reports them."""
