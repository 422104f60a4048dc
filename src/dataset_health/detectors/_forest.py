"""Fast scoring of a fitted scikit-learn IsolationForest, a few rows at a time.

``IsolationForest.score_samples`` walks its trees through joblib and input
validation: tens of milliseconds per call, whatever the number of rows. A
walk-forward judges one update at a time, thousands of times, so the same
score is computed here by walking the fitted trees' arrays with numpy,
about a hundred times faster for a handful of rows (same formula:
2 ** (-mean path length / c(max_samples))).
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest

from dataset_health.detectors._robust import median


def _average_path_length(n: np.ndarray) -> np.ndarray:
    """c(n): the average path length of an unsuccessful search in a binary tree of n points."""
    n = np.asarray(n, dtype=float)
    result = np.zeros_like(n)
    result[n == 2] = 1.0
    large = n > 2
    result[large] = 2.0 * (np.log(n[large] - 1.0) + np.euler_gamma) - 2.0 * (n[large] - 1.0) / n[large]
    return result


class ForestScorer:
    """``score_samples`` of a fitted forest, without per-call overhead.

    All trees are laid end to end in flat arrays (node ids offset per tree,
    split features mapped to the input's columns), so one walk moves every
    row down every tree at once: a dozen numpy operations per level.
    """

    def __init__(self, forest: IsolationForest) -> None:
        left, right, feature, threshold, length, roots = [], [], [], [], [], []
        offset = 0
        for tree, features in zip(forest.estimators_, forest.estimators_features_):
            t = tree.tree_
            inner = t.children_left != -1
            roots.append(offset)
            left.append(np.where(inner, t.children_left + offset, -1))
            right.append(np.where(inner, t.children_right + offset, -1))
            feature.append(np.where(inner, np.asarray(features)[np.maximum(t.feature, 0)], 0))
            threshold.append(t.threshold)
            length.append(_average_path_length(t.n_node_samples))
            offset += t.node_count
        self.left, self.right = np.concatenate(left), np.concatenate(right)
        self.feature, self.threshold = np.concatenate(feature), np.concatenate(threshold)
        self.leaf_length, self.roots = np.concatenate(length), np.array(roots)
        self.max_depth = max(int(tree.tree_.max_depth) for tree in forest.estimators_)
        self.normaliser = len(forest.estimators_) * float(_average_path_length([forest.max_samples_])[0])

    def score_samples(self, matrix: np.ndarray) -> np.ndarray:
        """The same values as ``IsolationForest.score_samples`` (higher is more normal)."""
        matrix = np.asarray(matrix, dtype=np.float32)  # the trees split on float32 thresholds
        rows = np.arange(matrix.shape[0])[None, :]
        node = np.repeat(self.roots[:, None], matrix.shape[0], axis=1)  # trees x rows
        depth = np.zeros(node.shape)
        for _ in range(self.max_depth):
            inner = self.left[node] != -1
            if not inner.any():
                break
            goes_left = matrix[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(inner, np.where(goes_left, self.left[node], self.right[node]), node)
            depth += inner
        depth += self.leaf_length[node]
        return -(2.0 ** (-depth.sum(axis=0) / self.normaliser))


_Q90 = 1.2816  # the 90th percentile of a standard normal distribution


def upper_tail_scale(scores: np.ndarray) -> tuple[float, float]:
    """Median and spread of anomaly scores, the spread read from their upper tail.

    Anomaly scores are skewed: a MAD, set by the bulk, makes every
    moderately unusual row look extreme. The distance from the median to
    the 90th percentile, as for a normal distribution, scales the tail that
    thresholds are set in.
    """
    center = median(scores)
    return center, max((float(np.percentile(scores, 90)) - center) / _Q90, 1e-9)
