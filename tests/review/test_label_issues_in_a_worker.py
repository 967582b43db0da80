"""Label issues are ranked inside a Celery worker's child, a daemonic process that may not start
processes of its own: cleanlab's default pool (one process per core) failed there."""

import multiprocessing

import numpy as np
from cleanlab.filter import find_label_issues

from labeling.review import compute


def _rank_in_child(given, probabilities, answers) -> None:
    try:
        result = compute.label_issues(given=given, probabilities=probabilities, item_ids=list(range(len(given))),
                                      label_names=["a", "b", "c"])  # fmt: skip
        answers.put(("ok", [issue["item"] for issue in result["issues"]]))
    except Exception as exc:  # the failure is the answer
        answers.put(("failed", repr(exc)))


def test_label_issues_are_ranked_in_a_daemonic_process_as_cleanlab_ranks_them():
    rng = np.random.default_rng(5)
    probabilities = rng.dirichlet([1.0, 1.0, 1.0], size=600)
    given = np.where(rng.random(600) < 0.8, probabilities.argmax(axis=1), rng.integers(0, 3, 600))
    context = multiprocessing.get_context("fork")  # as a prefork worker starts its children
    answers = context.Queue()
    child = context.Process(target=_rank_in_child, args=(given, probabilities, answers), daemon=True)
    child.start()
    status, found = answers.get(timeout=120)
    child.join(timeout=30)
    assert status == "ok", found
    reference = find_label_issues(given, probabilities, return_indices_ranked_by="self_confidence", n_jobs=2)
    assert found == [int(index) for index in reference] and found  # the same items, in the same order
