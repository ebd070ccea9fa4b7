"""inspect-ai model provider `classifier/...`: a text classifier, not an LLM, as a candidate like any other.

`classifier/tfidf-logreg` learns TF-IDF features of the prompt text (scikit-learn's TfidfVectorizer) and a
logistic regression from labelled (prompt text, label) pairs, the task's `train:` records rendered with the
candidate's prompt (run/_classifier.py), and answers each sample with a label; the task's scorer scores it.

It trains once per training data and settings in a process (the fitted numbers are kept in memory), and
predicts in plain Python from those numbers: microseconds, where a scikit-learn `predict` call costs about
a millisecond of input checks. Each answer's metadata has its compute time (which prices it, like a local
model's) and the one-time training time and size, for the run's console summary.

Answers are not journaled, unlike `local/`: training and prediction are deterministic and take
milliseconds, so an interrupted cell recomputes them for less than a journal write per answer would cost;
a finished cell's log is reused whole (its key includes the training records).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelCall, ModelOutput, ModelUsage
from inspect_ai.tool import ToolChoice, ToolInfo

from ..candidates import CLASSIFIERS, ClassifierOptions

_fitted: dict[str, Fitted] = {}
_fit_lock = threading.Lock()


@dataclass(frozen=True)
class Fitted:
    """A trained classifier as plain numbers: the analyzer, vocabulary and idf of the features, and the weights."""

    analyzer: Callable[[str], list[str]] | None  # None: a constant classifier (one label, or no usable word)
    vocabulary: dict[str, int]
    idf: list[float]
    weights: list[list[float]]  # per feature, one weight per class; one for two classes (the second's log-odds)
    intercept: list[float]
    classes: tuple[str, ...]
    records: int  # training records
    train_s: float  # time to fit the features and the regression, once

    def predict(self, text: str) -> tuple[str, float]:
        """The label and its probability (what scikit-learn's predict and predict_proba give).

        Plain Python over the words of `text`: about 15 microseconds for a ticket, where numpy's per-call
        overhead alone is larger on texts this short."""
        if self.analyzer is None:
            return self.classes[0], 1.0
        counts = Counter(i for i in (self.vocabulary.get(t) for t in self.analyzer(text)) if i is not None)
        tfidf = {i: n * self.idf[i] for i, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in tfidf.values())) or 1.0
        z = list(self.intercept)
        for i, w in tfidf.items():
            for k, weight in enumerate(self.weights[i]):
                z[k] += w / norm * weight
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + math.exp(-z[0])) if z[0] >= 0 else math.exp(z[0]) / (1.0 + math.exp(z[0]))
            return (self.classes[1], p) if z[0] > 0 else (self.classes[0], 1.0 - p)
        best = max(range(len(z)), key=z.__getitem__)
        return self.classes[best], 1.0 / sum(math.exp(x - z[best]) for x in z)


def fit(pairs: list[tuple[str, str]], options: ClassifierOptions) -> Fitted:
    """TF-IDF + logistic regression on (text, label) pairs; timed without the import of scikit-learn."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = [t for t, _ in pairs], [label for _, label in pairs]
    start = time.perf_counter()
    classes = sorted(set(labels))
    vectorizer = TfidfVectorizer(ngram_range=(1, options.ngram_max))
    try:
        features = vectorizer.fit_transform(texts)
    except ValueError:  # no word of two letters in any text: nothing to learn from but the labels
        features = None
    if features is None or len(classes) < 2:
        majority = Counter(labels).most_common(1)[0][0]
        return Fitted(None, {}, [], [], [0.0], (majority,), len(pairs), time.perf_counter() - start)
    model = LogisticRegression(C=options.C, max_iter=2000).fit(features, labels)
    vocabulary = {str(term): int(i) for term, i in vectorizer.vocabulary_.items()}
    return Fitted(vectorizer.build_analyzer(), vocabulary, [float(x) for x in vectorizer.idf_],
                  np.asarray(model.coef_, dtype=float).T.tolist(), [float(x) for x in model.intercept_],
                  tuple(str(c) for c in model.classes_), len(pairs), time.perf_counter() - start)


def training_key(kind: str, pairs: list[tuple[str, str]], options: ClassifierOptions) -> str:
    blob = json.dumps([kind, pairs, options.model_dump()], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def trained(kind: str, pairs: list[tuple[str, str]], options: ClassifierOptions) -> tuple[str, Fitted]:
    """The fitted classifier of these pairs and settings: trained on first use in this process, then kept."""
    key = training_key(kind, pairs, options)
    with _fit_lock:  # samples of one cell arrive together: one of them trains, the others wait for it
        if key not in _fitted:
            _fitted[key] = fit(pairs, options)
        return key, _fitted[key]


def read_pairs(train: str | list[Any]) -> list[tuple[str, str]]:
    """(text, label) pairs from a list of pairs (harness passes them), or a JSONL file of {"input", "target"}
    objects (for `inspect eval --model classifier/tfidf-logreg -M train=file.jsonl`)."""
    if isinstance(train, str):
        rows = [json.loads(line) for line in Path(train).read_text(encoding="utf-8").splitlines() if line.strip()]
        return [(str(r["input"]), str(r["target"])) for r in rows]
    return [(str(text), str(label)) for text, label in train]


class ClassifierModelAPI(ModelAPI):
    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig = GenerateConfig(), train: str | list[Any] | None = None,
                 **model_args: Any) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        if model_name not in CLASSIFIERS:
            raise ValueError(f"unknown classifier {model_name!r}: use one of {', '.join(CLASSIFIERS)}")
        if not train:
            raise ValueError(f"classifier/{model_name} needs training data: a task's `train:` records (harness "
                             "passes them), or -M train=file.jsonl of {\"input\": ..., \"target\": ...} lines")
        self.pairs = read_pairs(train)
        self.options = ClassifierOptions(**model_args)

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice,
                       config: GenerateConfig) -> tuple[ModelOutput, ModelCall]:
        key, model = await anyio.to_thread.run_sync(trained, self.model_name, self.pairs, self.options)
        text = next((m.text for m in reversed(input) if m.role == "user"), "")
        start = time.perf_counter()
        label, probability = model.predict(text)
        elapsed = time.perf_counter() - start
        output = ModelOutput.from_content(model=self.model_name, content=label, stop_reason="stop")
        output.usage = ModelUsage(input_tokens=0, output_tokens=0, total_tokens=0)  # no tokens: priced by time
        output.time = elapsed
        output.metadata = {"compute_s": elapsed, "train_s": model.train_s, "train_records": model.records,
                           "classifier": key[:16], "confidence": probability if config.logprobs else None}
        return output, ModelCall.create({"text": text, "classifier": key[:16]},
                                        {"label": label, "probability": probability})
