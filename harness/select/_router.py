"""Training a router: TF-IDF features of the request text and a logistic regression (scikit-learn).

The fitted numbers go into a `TextRouter` (harness.compound), which computes the same probability in
plain Python at run time. scikit-learn is imported here and by the classifier provider only
(providers/_classifier.py): applications that load a routing table never need it.
"""

from __future__ import annotations

import math

import numpy as np

from ..compound import TextRouter


def train_router(texts: list[str], good: np.ndarray) -> TextRouter:
    """A router that predicts `good` (the cheap answer is at least as good as the fallback's) from the text."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray(good, dtype=int)
    vectorizer = TfidfVectorizer()  # its defaults are the ones TextRouter reproduces
    try:
        features = vectorizer.fit_transform(texts)
    except ValueError:  # no word of two letters in any text: nothing to learn from
        return _constant(labels)
    if labels.min() == labels.max():
        return _constant(labels)
    model = LogisticRegression(max_iter=2000).fit(features, labels)
    vocabulary = {str(term): int(i) for term, i in vectorizer.vocabulary_.items()}
    return TextRouter(vocabulary=vocabulary, idf=[float(x) for x in vectorizer.idf_],
                      coef=[float(x) for x in model.coef_[0]], intercept=float(model.intercept_[0]))


def _constant(labels: np.ndarray) -> TextRouter:
    """Every request gets the base rate: the thresholds then send all or nothing to the cheap candidate."""
    rate = min(max(float(labels.mean()) if labels.size else 0.5, 1e-6), 1 - 1e-6)
    return TextRouter(vocabulary={}, idf=[], coef=[], intercept=math.log(rate / (1 - rate)))
