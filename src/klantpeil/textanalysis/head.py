"""A multinomial logistic-regression head: features in, class probabilities out.

Fitted by L-BFGS (scipy) on the L2-penalised, class-weighted cross-entropy
  L(W, b) = Σ_i w_{y_i} · −log softmax(W x_i + b)_{y_i} + ‖W‖² / (2C),
with "balanced" class weights w_c = n / (k · n_c) (as scikit-learn's
``class_weight="balanced"``), so the smaller neutral class is not drowned.
Stored as plain JSON so no pickle is ever loaded. Plain module.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize


@dataclass
class Head:
    classes: tuple[str, ...]
    weights: np.ndarray  # (k, d)
    bias: np.ndarray  # (k,)
    mean: np.ndarray  # (d,) feature centring
    scale: np.ndarray  # (d,) feature scaling

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = ((features - self.mean) / self.scale) @ self.weights.T + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def to_json(self, **meta: object) -> str:
        return json.dumps(
            {
                **meta,
                "classes": list(self.classes),
                "weights": np.round(self.weights, 6).tolist(),
                "bias": np.round(self.bias, 6).tolist(),
                "mean": np.round(self.mean, 6).tolist(),
                "scale": np.round(self.scale, 6).tolist(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Head:
        data = json.loads(text)
        return cls(
            tuple(data["classes"]),
            np.asarray(data["weights"], dtype=float),
            np.asarray(data["bias"], dtype=float),
            np.asarray(data["mean"], dtype=float),
            np.asarray(data["scale"], dtype=float),
        )


def fit(
    features: np.ndarray, labels: Sequence[str], classes: Sequence[str], *, c: float = 10.0
) -> Head:
    """Fit the head; ``features`` (n, d), ``labels`` one of ``classes`` each."""
    x = np.asarray(features, dtype=float)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    x = (x - mean) / scale
    n, d = x.shape
    k = len(classes)
    index = {c_: i for i, c_ in enumerate(classes)}
    y = np.array([index[label] for label in labels])
    counts = np.bincount(y, minlength=k).astype(float)
    class_weight = np.where(counts > 0, n / (k * np.maximum(counts, 1)), 0.0)
    sample_weight = class_weight[y]
    onehot = np.eye(k)[y]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: k * d].reshape(k, d)
        b = theta[k * d :]
        z = x @ w.T + b
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -np.sum(sample_weight * np.sum(onehot * log_p, axis=1)) + np.sum(w * w) / (2 * c)
        residual = (np.exp(log_p) - onehot) * sample_weight[:, None]
        grad_w = residual.T @ x + w / c
        grad_b = residual.sum(axis=0)
        return float(value), np.concatenate([grad_w.ravel(), grad_b])

    result = minimize(loss, np.zeros(k * d + k), jac=True, method="L-BFGS-B")
    theta = result.x
    return Head(tuple(classes), theta[: k * d].reshape(k, d), theta[k * d :], mean, scale)
