#!/usr/bin/env python3
"""How close off-topic chatter and real knowledge gaps come to the sample community's threads.

A question Yorozu stays silent on is listed as a knowledge gap only when its nearest thread is within
``knowledge.insights.OFF_TOPIC_MARGIN`` below the abstain threshold; this prints, for three sets of
questions, the cosine of the nearest indexed document and whether Yorozu abstains, and the widest
margin that keeps every chatter question out:

    yorozu --data-dir /tmp/sample import slack-export knowledge/data/sample_community
    python scripts/measure_off_topic.py /tmp/sample
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.service import open_knowledge_base
from bot.settings import Settings
from knowledge.sample import read_held_out_questions

QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "data" / "sample_questions.jsonl"

CHATTER = [
    "今日のお昼ごはんは何にしようかな",
    "明日の天気はどうですか",
    "週末どこか遊びに行きますか？",
    "おすすめのラーメン屋はありますか",
    "プロ野球の開幕はいつですか",
    "最近読んだ本でおすすめはありますか",
    "猫の飼い方を教えてください",
    "夏休みの旅行先を迷っています",
]
# IT questions of the kind the community asks, several of which no thread answers.
IT_QUESTIONS = [
    "電子契約サービスを導入した自治体はありますか？",
    "Zoom の録画データをどこに保存していますか",
    "庁内の無線LANでWPA3を使っている団体はありますか",
    "職員のスマホにMDMを入れている自治体はありますか",
    "RPAのライセンス費用はどれくらいですか",
    "LINE公式アカウントで住民からの問い合わせを受けている団体はありますか",
    "AI-OCRを導入して効果はありましたか",
    "ガバメントクラウドの接続回線はどうしていますか",
    "Microsoft 365 の多要素認証を全職員に必須にしていますか",
    "庁内のプリンタの台数を減らした事例はありますか",
    "電子決裁を導入したときの職員向け説明はどうしましたか",
    "タブレットで議会のペーパーレス化をしている団体はありますか",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="a data directory with the sample community imported")
    args = parser.parse_args(argv)
    kb = open_knowledge_base(Settings.from_env({"YOROZU_DATA_DIR": str(args.data_dir)}))
    try:
        print(f"abstain below {kb.abstain_below:.3f} ({kb.embedder.model_id})")
        nearest: dict[str, list[float]] = {}
        abstain = [q.question for q in read_held_out_questions(QUESTIONS) if q.abstains]
        for name, questions in (
            ("chatter", CHATTER),
            ("municipal, not IT (the sample's abstain questions)", abstain),
            ("IT questions", IT_QUESTIONS),
        ):
            print(f"\n{name}")
            for question in questions:
                vector = kb.embedder.embed_queries([question])[0]
                score = kb._vectors.search(vector, 1)[0][1]
                abstained = kb.suggest(question).abstained
                nearest.setdefault(name, []).append(score)
                print(f"  {score:.3f} {'abstains' if abstained else 'answers '} {question}")
        widest = kb.abstain_below - max(nearest["chatter"])
        print(f"\nchatter comes at most {max(nearest['chatter']):.3f} close: a margin below {widest:.3f} keeps it out")
    finally:
        kb.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
