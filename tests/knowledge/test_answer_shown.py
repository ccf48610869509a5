"""What a suggestion shows: the accepted answer behind a short follow-up, the reply most related to the
question, and stored threads derived again when the rules change — on SQLite and PostgreSQL.

The threads are written the way municipal IT staff write them (a greeting, a self-introduction, the
question; answers that point back to each other), in Japanese and in English.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from knowledge import events as ev
from knowledge import ingest
from knowledge.base import DERIVATION_KEY, KnowledgeBase
from knowledge.model import Actor, Role, Suggestion
from knowledge.store import MIGRATIONS, Store
from knowledge.store import repository as repo
from knowledge.store.tables import threads
from tests.conftest import FAKE_ABSTAIN_BELOW, post
from tests.fakes import FakeEmbedder

PEOPLE = [
    ev.ChannelSeen("slack", "C9", "q-and-a"),
    ev.PersonSeen("slack", "UASK", "小川 直人", "東山町 総務課"),
    ev.PersonSeen("slack", "UKEN", "中島 里美", "県 デジタル推進課"),
    ev.PersonSeen("slack", "UTAM", "田村 健", "西山市 情報政策課"),
    ev.PersonSeen("slack", "USAT", "佐藤 明", "北浜市 情報管理課"),
    ev.PersonSeen("slack", "UKIM", "Ken Kimura", "Minami Town"),
    ev.PersonSeen("slack", "UMIK", "Mika Sato", "Kita Town"),
]


def thread(root: str, *messages: tuple[str, str]) -> list[ev.Event]:
    """A thread in C9: ``root`` is ``(author, text)`` of the question, then replies an hour apart."""
    (asker, question), *replies = messages
    out: list[ev.Event] = [post("C9", f"{root}.0", asker, question, 0)]
    for n, (author, text) in enumerate(replies, 1):
        out.append(post("C9", f"{root}.{n}", author, text, n, thread=f"{root}.0"))
    return out


def shown(kb: KnowledgeBase, root: str) -> Suggestion:
    """The suggestion of thread ``root`` (asked with its own question, so it ranks first)."""
    with kb.store.begin() as conn:
        question = repo.root_message(conn, repo.find_thread_id(conn, "slack", "C9", f"{root}.0") or -1)
    assert question is not None
    for suggestion in kb.suggest(question.text, abstain=False).suggestions:
        if suggestion.root_message_id == f"{root}.0":
            return suggestion
    raise AssertionError(f"thread {root} was not suggested")


# --- the asker thanks after a short follow-up ------------------------------------------------------

TRANSFER = thread(
    "10",
    (
        "UASK",
        "東山町の小川です。LGWAN側で受け取ったファイルを、職員が自席からインターネット側へ送る仕組みはありますか？",
    ),
    (
        "UKEN",
        "県の中島です。県のセキュリティクラウドに無害化転送の機能があります。\n"
        "1. 利用申請書を県に提出\n2. 利用者をCSVで登録\n3. 職員は自席のブラウザから転送\n"
        "市町村の負担はありません。",
    ),
    ("UASK", "町村でも使えますか？"),
    ("UKEN", "はい、町村も申請いただければ使えます。"),
    ("UASK", "ありがとうございます、申請します！"),
)


def test_a_yes_to_the_askers_second_question_gives_way_to_the_procedure_above(kb: KnowledgeBase) -> None:
    kb.ingest_many(PEOPLE + TRANSFER)
    best = shown(kb, "10")
    assert best.accepted
    assert best.answer_excerpt.startswith("県のセキュリティクラウドに無害化転送の機能があります。1. 利用申請書")
    assert [a.name for a in best.answerers] == ["中島 里美"]


INVENTORY = thread(
    "11",
    (
        "UASK",
        "ADの棚卸しで、長く使われていないアカウントを洗い出す方法はありますか？退職者のアカウントが残っていそうです。",
    ),
    (
        "UTAM",
        "西山市の田村です。PowerShell の ActiveDirectory モジュールで一発です。\n"
        "```\nSearch-ADAccount -AccountInactive -TimeSpan 90.00:00:00 -UsersOnly\n```\n"
        "出てきたアカウントはいきなり削除せず、無効化して専用のOUに移しておくと戻せます。",
    ),
    ("USAT", "北浜市の佐藤です。田村さんの書いてくれたとおりです。"),
    ("UASK", "助かりました、90日で洗い出せました！"),
)


def test_a_reply_naming_an_earlier_answerer_gives_way_to_that_answer(kb: KnowledgeBase) -> None:
    kb.ingest_many(PEOPLE + INVENTORY)
    best = shown(kb, "11")
    assert best.accepted
    assert best.answer_excerpt.startswith("PowerShell の ActiveDirectory モジュールで一発です。")
    assert [a.name for a in best.answerers] == ["田村 健", "佐藤 明"]  # the accepted answer's author first
    assert best.answerers[0].accepted and not best.answerers[1].accepted


def test_a_mention_names_the_answerer_too(kb: KnowledgeBase) -> None:
    events = [*INVENTORY]
    events[2] = post("C9", "11.2", "USAT", "<@UTAM> の言うとおりです。うちも同じコマンドです。", 2, thread="11.0")
    kb.ingest_many(PEOPLE + events)
    assert shown(kb, "11").answer_excerpt.startswith("PowerShell の ActiveDirectory")


TRANSFER_DAY = thread(
    "12",
    (
        "UASK",
        "以前に話題になっていたらすみません。\n初めての年度末の人事異動を迎えます。\n"
        "共有フォルダのアクセス権は、4/1の朝に一括で切り替えるのが一般的でしょうか？",
    ),
    (
        "UTAM",
        "西山市の田村です。うちは内示の時点で人事課から異動者一覧をもらい、ADのグループの追加・削除をCSVにして"
        "4/1の朝に一括で流しています。旧所属のフォルダは2週間だけ読み取り専用で残します。",
    ),
    (
        "USAT",
        "北浜市の佐藤です。田村さんのおっしゃるとおりです。当日は朝早めに出て作業を終わらせておくと落ち着いて"
        "問い合わせを受けられますよ。",
    ),
    ("UASK", "ありがとうございます、イメージがつきました！"),
)


def test_a_reply_that_opens_by_pointing_back_gives_way_unless_it_says_more(kb: KnowledgeBase) -> None:
    kb.ingest_many(PEOPLE + TRANSFER_DAY)
    best = shown(kb, "12")
    assert best.title == "共有フォルダのアクセス権は、4/1の朝に一括で切り替えるのが一般的でしょうか？"
    assert best.accepted and best.answer_excerpt.startswith("うちは内示の時点で人事課から異動者一覧")
    assert best.answerers[0].name == "田村 健"


BACKUP = thread(
    "13",
    ("UASK", "オフラインバックアップの媒体を庁舎の外に保管したいのですが、支所がない町ではどうしていますか？"),
    (
        "UKEN",
        "県の中島です。県では市町村が共同で使えるクラウドバックアップを来年度から試行します。それまでは\n"
        "・公民館や消防署など、庁舎から離れた施設の鍵のかかる場所に保管\n・近隣の町と媒体を預け合う\n"
        "といった例があります。",
    ),
    ("UTAM", "媒体は暗号化しておくと安心です。"),
    ("UASK", "公民館の金庫を借りられるか相談します。ありがとうございます。"),
)


def test_a_short_tip_before_the_thanks_gives_way_to_the_answer_it_adds_to(kb: KnowledgeBase) -> None:
    kb.ingest_many(PEOPLE + BACKUP)
    best = shown(kb, "13")
    assert best.accepted and best.answer_excerpt.startswith("県では市町村が共同で使えるクラウドバックアップ")


def test_a_short_answer_that_is_the_answer_stays_accepted(kb: KnowledgeBase) -> None:
    kb.ingest_many(
        PEOPLE
        + thread(
            "14",
            ("UASK", "LGWANメールで送れる添付ファイルの上限は何MBですか？"),
            ("UKEN", "10MBです。"),
            ("UASK", "ありがとうございます！"),
        )
    )
    best = shown(kb, "14")
    assert best.accepted and best.answer_excerpt == "10MBです。"


def test_the_askers_check_mark_on_a_short_complete_answer_stands(kb: KnowledgeBase) -> None:
    events = thread(
        "15",
        ("UASK", "Teams会議の録画は何日で消えますか？"),
        (
            "UTAM",
            "西山市の田村です。うちは録画を使わず、会議メモをOneNoteに残す運用にしています。録画は容量を食うので、"
            "必要なときだけ開催者がローカルに保存するようにお願いしています。",
        ),
        ("USAT", "既定では120日で期限切れになります。"),
    )
    kb.ingest_many(PEOPLE + events + [ev.ReactionChanged("slack", "C9", "15.2", "UASK", "white_check_mark")])
    best = shown(kb, "15")
    assert best.accepted and best.answer_excerpt == "既定では120日で期限切れになります。"
    assert best.answerers[0].name == "佐藤 明"


def test_english_thread_the_thanks_after_a_plus_one_accepts_the_answer_it_agrees_with(kb: KnowledgeBase) -> None:
    kb.ingest_many(
        PEOPLE
        + thread(
            "16",
            (
                "UMIK",
                "Hi all, I'm the IT person at Kita Town.\n"
                "How do you hold back Windows 11 feature updates until line-of-business apps are tested?",
            ),
            (
                "UKIM",
                "We pause them with a GPO: Windows Update > Windows Update for Business > Select the target feature "
                "update version, set to the version we tested. Then we pilot with 10 PCs for two weeks.",
            ),
            ("USAT", "+1, same as Ken said."),
            ("UMIK", "Thanks, that worked!"),
        )
    )
    best = shown(kb, "16")
    assert best.title == "How do you hold back Windows 11 feature updates until…"  # cut between words
    assert best.accepted and best.answer_excerpt.startswith("We pause them with a GPO")
    assert best.answerers[0].name == "Ken Kimura"


# --- nobody accepted an answer: the reply most related to the question ------------------------------


def test_without_acceptance_the_reply_most_related_to_the_question_is_shown_not_the_first(kb: KnowledgeBase) -> None:
    kb.ingest_many(
        PEOPLE
        + thread(
            "20",
            ("UASK", "東山町の小川です。Teams会議の録画の保存期間は、どこで設定するのでしょうか？"),
            ("UTAM", "うちも気になっていました。"),
            ("USAT", "先月の研修資料が共有フォルダにあります。"),
            (
                "UKEN",
                "県の中島です。録画の保存期間は Teams 管理センターの会議ポリシーで設定します。既定は120日で、"
                "残したい録画はファイルの詳細から有効期限を変更できます。",
            ),
        )
    )
    best = shown(kb, "20")
    assert not best.accepted
    assert best.answer_excerpt.startswith("録画の保存期間は Teams 管理センターの会議ポリシーで設定します。")
    assert best.answerers[0].name == "中島 里美"  # the shown reply's author first


def test_a_question_back_to_the_asker_is_not_the_answer(kb: KnowledgeBase) -> None:
    kb.ingest_many(
        PEOPLE
        + thread(
            "21",
            ("UASK", "テレワーク用のVPNが、一部の職員の自宅からだけ繋がりません。"),
            ("UTAM", "ルーターの機種は何ですか？"),
            (
                "USAT",
                "IPsec系のVPNだと、家庭用ルーターのVPNパススルーが無効になっていると繋がりません。"
                "ルーターの設定画面でパススルーを有効にしてもらってください。",
            ),
        )
    )
    assert shown(kb, "21").answer_excerpt.startswith("IPsec系のVPNだと")


def test_english_the_answer_beats_a_question_back(kb: KnowledgeBase) -> None:
    kb.ingest_many(
        PEOPLE
        + thread(
            "22",
            (
                "UMIK",
                "Staff keep access to their old department's shared mailbox after a transfer. How do you remove it?",
            ),
            ("UKIM", "Which Exchange version are you on?"),
            (
                "USAT",
                "Grant shared mailbox access to a mail-enabled security group per department instead of to people. "
                "When the AD group membership changes at transfer time, mailbox access follows automatically.",
            ),
        )
    )
    assert shown(kb, "22").answer_excerpt.startswith("Grant shared mailbox access to a mail-enabled security group")


def test_acknowledgements_are_never_shown_and_stay_out_of_the_indexed_document(kb: KnowledgeBase) -> None:
    kb.ingest_many(
        PEOPLE
        + thread(
            "23",
            ("UASK", "複合機のリース満了時、HDDのデータ消去はどうしていますか？"),
            ("UTAM", "+1"),
            ("USAT", "私も知りたいです！"),
            (
                "UKEN",
                "県の中島です。リース会社にデータ消去証明書を出してもらうのが一般的です。契約の仕様書に"
                "「消去方法と製造番号を記載した証明書を提出すること」と書いておくと確実です。",
            ),
        )
    )
    assert shown(kb, "23").answer_excerpt.startswith("リース会社にデータ消去証明書")
    with kb.store.begin() as conn:
        document = conn.execute(sa.select(threads.c.document).where(threads.c.root_external_id == "23.0")).scalar_one()
    assert "データ消去証明書" in document and "+1" not in document and "私も知りたい" not in document


def test_the_faq_draft_from_a_thread_takes_the_shown_answer(database_url: str, tmp_path: Path) -> None:
    kb = KnowledgeBase.open(
        database_url=database_url,
        embedder=FakeEmbedder(),
        index_dir=tmp_path / "index",
        abstain_below=FAKE_ABSTAIN_BELOW,
        roles=[("slack", "UKEN", Role.ADMIN)],
    )
    try:
        kb.ingest_many(PEOPLE + TRANSFER)
        draft = kb.faq_draft(Actor("slack", "UKEN", "中島 里美"), "slack", "C9", "10.0")
        assert draft.answer.startswith("県の中島です。県のセキュリティクラウド")
    finally:
        kb.close()


# --- stored threads derived again ------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


def open_kb(database_url: str, data_dir: Path) -> KnowledgeBase:
    return KnowledgeBase.open(
        database_url=database_url,
        embedder=FakeEmbedder(),
        index_dir=data_dir / "index",
        abstain_below=FAKE_ABSTAIN_BELOW,
        roles=[("slack", "UKEN", Role.ADMIN)],
    )


def make_stale(database_url: str, version: str | None) -> None:
    """Put thread 11 back the way the first rules stored it: the greeting as title, the follow-up shown."""
    store = Store.open(database_url)
    try:
        with store.begin() as conn:
            follow_up = conn.execute(sa.text("SELECT id FROM messages WHERE external_id = '11.2'")).scalar_one()
            conn.execute(
                threads.update()
                .where(threads.c.root_external_id == "11.0")
                .values(title="東山町の小川です。", accepted_message_id=follow_up, best_message_id=None)
            )
            if version is None:
                conn.execute(sa.text("DELETE FROM meta WHERE key = :key"), {"key": DERIVATION_KEY})
            else:
                repo.set_meta(conn, DERIVATION_KEY, version)
    finally:
        store.close()


@pytest.fixture
def stored(database_url: str, data_dir: Path) -> Iterator[str]:
    kb = open_kb(database_url, data_dir)
    kb.ingest_many(PEOPLE + INVENTORY + TRANSFER)
    entry = kb.faq_create(
        Actor("slack", "UKEN", "中島 里美"),
        question="お疲れさまです。長く使われていないADアカウントの洗い出し方法を教えてください。",
        answer="Search-ADAccount -AccountInactive で洗い出し、無効化してOUに移します。",
    )
    kb.faq_publish(Actor("slack", "UKEN", "中島 里美"), entry.id)
    kb.close()
    yield database_url


def test_opening_derives_stored_threads_again_once_when_the_rules_changed(stored: str, data_dir: Path) -> None:
    make_stale(stored, version=None)  # a store from before derivation versions were recorded
    kb = open_kb(stored, data_dir)
    try:
        best = shown(kb, "11")
        assert best.title == "ADの棚卸しで、長く使われていないアカウントを洗い出す方法はありますか？"
        assert best.answer_excerpt.startswith("PowerShell の ActiveDirectory")
        with kb.store.begin() as conn:
            assert repo.get_meta(conn, DERIVATION_KEY) == str(ingest.DERIVATION_VERSION)
            head = repo.current_change_seq(conn)
        faq = kb.suggest("ADアカウントの洗い出し方法", abstain=False).suggestions[0]
        assert faq.faq_id is not None and faq.title == "長く使われていないADアカウントの洗い出し方法を教えてください。"
    finally:
        kb.close()
    kb = open_kb(stored, data_dir)  # the version is recorded: nothing is derived again
    try:
        with kb.store.begin() as conn:
            assert repo.current_change_seq(conn) == head
    finally:
        kb.close()


def test_a_current_version_is_trusted_and_reindex_derives_everything_anyway(stored: str, data_dir: Path) -> None:
    make_stale(stored, version=str(ingest.DERIVATION_VERSION))
    kb = open_kb(stored, data_dir)
    try:
        assert shown(kb, "11").title == "東山町の小川です。"  # nothing told it the rules changed
        kb.reindex()
        best = shown(kb, "11")
        assert best.title.startswith("ADの棚卸しで") and best.answer_excerpt.startswith("PowerShell")
        assert shown(kb, "10").accepted  # other threads unchanged by it
    finally:
        kb.close()


def test_a_database_from_before_the_column_is_migrated_and_derived(database_url: str, data_dir: Path) -> None:
    kb = open_kb(database_url, data_dir)
    kb.ingest_many(PEOPLE + INVENTORY)
    kb.close()
    # Back to the schema before the column, on an engine without SQLite's foreign-key enforcement: the
    # downgrade rebuilds the threads table there, which would otherwise cascade to its messages.
    engine = sa.create_engine(database_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0004")
        with engine.begin() as conn:
            assert "best_message_id" not in {c["name"] for c in sa.inspect(conn).get_columns("threads")}
            conn.execute(sa.text("DELETE FROM meta WHERE key = :key"), {"key": DERIVATION_KEY})
            assert conn.execute(sa.text("SELECT count(*) FROM messages")).scalar_one() == 4
    finally:
        engine.dispose()
    kb = open_kb(database_url, data_dir)  # migrates to the newest schema, then derives
    try:
        with kb.store.begin() as conn:
            best_id = conn.execute(
                sa.select(threads.c.best_message_id).where(threads.c.root_external_id == "11.0")
            ).scalar_one()
            author = conn.execute(sa.text("SELECT author_external_id FROM messages WHERE id = :id"), {"id": best_id})
            assert author.scalar_one() == "UTAM"
        assert shown(kb, "11").answer_excerpt.startswith("PowerShell")
    finally:
        kb.close()
