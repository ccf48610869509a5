"""The console and the web chat in a real headless Chromium: a specialist writes an FAQ entry, a member
finds it first (with its verifier), reads a thread in full, finds a suggestion unhelpful, and the
specialist finds that in the review queue; a member asks an expert from the page; and both pages on a
390 px wide phone.

Skipped with the reason where chromium, chromedriver or selenium is missing (``.ci/run`` installs them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.service import KnowledgeService
from bot.settings import Settings
from knowledge import events as ev
from knowledge.base import KnowledgeBase
from tests import browser
from tests.conftest import FAKE_ABSTAIN_BELOW, MACRO_THREAD, PRINTER_THREAD, at, community
from tests.fakes import FakeEmbedder

pytestmark = [pytest.mark.browser, pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))]

FAQ_QUESTION = "Excelマクロを作った職員が異動して誰もVBAを保守できないときはどうすればよいですか"
FAQ_ANSWER = "まずマクロを棚卸しして、使っていないものは廃止、残すものは手順書と引継ぎ書を作ります。"
VERIFIER = "佐藤 健一"
WAIT = 20


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The app in local mode (web chat and console, no token) over a small community, on a real port."""
    kb = KnowledgeBase.open(
        database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        embedder=FakeEmbedder(),
        index_dir=tmp_path / "index",
        abstain_below=FAKE_ABSTAIN_BELOW,
    )
    kb.ingest_many(community() + MACRO_THREAD + PRINTER_THREAD)
    kb.sync()
    settings = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_LOCAL": "1"})
    app = create_app(settings, service=KnowledgeService(kb), web_chat=True, console=True)
    try:
        with browser.ServedApp(app) as served:
            yield served.url
    finally:
        kb.close()


def wait_for(driver: Any, find: Callable[[], Any], what: str) -> Any:
    """Poll the page until ``find`` returns something truthy (the page works asynchronously)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(lambda _: find(), message=f"waited {WAIT} s for {what}")


def text_of(driver: Any, css: str) -> str:
    return " ".join(e.text for e in driver.find_elements("css selector", css))


def test_curate_ask_read_and_review(site: str) -> None:
    with browser.chromium() as driver:
        # The specialist writes an FAQ entry in the console, sees the preview, and publishes it.
        driver.get(f"{site}/console")
        wait_for(driver, lambda: driver.find_element("id", "app").is_displayed(), "the console")
        assert driver.find_element("tag name", "html").get_attribute("lang") == "ja"
        driver.find_element("id", "faq-new").click()
        driver.find_element("id", "f-question").send_keys(FAQ_QUESTION)
        driver.find_element("id", "f-answer").send_keys(FAQ_ANSWER)
        driver.find_element("id", "f-tags").send_keys("Excel; VBA")
        driver.find_element("id", "f-publish").click()
        verifier = driver.find_element("id", "verifier")
        verifier.clear()
        verifier.send_keys(VERIFIER)
        today = datetime.now().astimezone()
        date = f"{today.year}/{today.month}/{today.day}"
        preview = wait_for(
            driver,
            lambda: text_of(driver, "#preview-teams") if VERIFIER in text_of(driver, "#preview-teams") else "",
            "the Teams preview",
        )
        assert FAQ_ANSWER[:20] in preview and f"確認：{VERIFIER}（{date}）" in preview
        assert FAQ_ANSWER[:20] in text_of(driver, "#preview-slack")
        driver.find_element("id", "f-save").click()
        # The message appears beside the button that was pressed, not at the top of the page.
        saved = wait_for(driver, lambda: driver.find_element("id", "f-message").text, "the save message")
        assert "を保存しました" in saved and "公開中" in saved
        wait_for(driver, lambda: FAQ_QUESTION[:20] in text_of(driver, "#faq-body"), "the new entry in the list")

        # A member asks in the web chat: the entry comes first, with its verifier and date.
        driver.get(f"{site}/")
        driver.find_element("id", "q").send_keys(FAQ_QUESTION)
        driver.find_element("id", "send").click()
        cards = wait_for(driver, lambda: driver.find_elements("css selector", "#log .card"), "the answer")
        assert "faq" in cards[0].get_attribute("class").split()
        assert f"FAQ・確認者 {VERIFIER}（{date}）" in cards[0].text
        thread_card = next(c for c in cards if "faq" not in c.get_attribute("class").split())

        # The thread opens in full inside the page: the question and every reply with author and organisation.
        thread_card.find_element("css selector", "h3 button.title").click()
        posts = wait_for(driver, lambda: thread_card.find_elements("css selector", ".full .post"), "the whole thread")
        assert len(posts) == 3
        whole = thread_card.find_element("css selector", ".full").text
        assert "鈴木 花子（南川町 総務課）" in whole and "高橋 誠（青葉県庁 情報政策課）" in whole
        assert MACRO_THREAD[2].text in whole

        # 役に立たなかった: recorded, said beside the button.
        next(b for b in thread_card.find_elements("tag name", "button") if b.text == "役に立たなかった").click()
        note = wait_for(driver, lambda: thread_card.find_element("css selector", ".note").text, "the feedback note")
        assert "役に立たなかった" in note and "記録しました" in note

        # The specialist finds the question in the review queue, beside the suggestion judged unhelpful.
        driver.get(f"{site}/console")
        row = wait_for(
            driver, lambda: driver.find_elements("css selector", "#review-body tbody tr"), "the review queue"
        )[0]
        assert FAQ_QUESTION in row.text
        assert "Excelマクロを作った職員が異動して" in row.find_element("css selector", "td.shown").text
        assert "ウェブチャット" in row.text


def test_ask_an_expert_sends_the_question_once_and_still_names_people(tmp_path: Path) -> None:
    """専門家に聞く in the page: the question goes to the Slack specialists' channel (a fake Slack Web API
    served beside the app), the page says so and lists the people who answered similar questions, and a
    second press says it was sent already."""
    from bot.slack import mount as mount_slack
    from tests.bot.slack.fake_slack import FakeSlack, channel

    fake = FakeSlack(channels={"CSPEC": channel("CSPEC", "specialists")})
    fake.bind()
    kb = KnowledgeBase.open(
        database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        embedder=FakeEmbedder(),
        index_dir=tmp_path / "index",
        abstain_below=FAKE_ABSTAIN_BELOW,
    )
    kb.ingest_many(community() + MACRO_THREAD + PRINTER_THREAD)
    kb.sync()

    def posts() -> list[dict[str, Any]]:
        return [p for p in fake.called("chat.postMessage") if p["channel"] == "CSPEC"]

    try:
        with browser.ServedApp(fake.app()) as slack_api:
            env = {
                "YOROZU_DATA_DIR": str(tmp_path),
                "YOROZU_LOCAL": "1",
                "SLACK_SIGNING_SECRET": "test-signing-secret",
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "YOROZU_SLACK_API_URL": f"{slack_api.url}/api/",
                "YOROZU_SLACK_SPECIALISTS_CHANNEL": "CSPEC",
            }
            app = create_app(
                Settings.from_env(env), service=KnowledgeService(kb), web_chat=True, platforms=[mount_slack]
            )
            with browser.ServedApp(app) as served, browser.chromium() as driver:
                driver.get(f"{served.url}/")
                driver.find_element("id", "q").send_keys(MACRO_THREAD[0].text)
                driver.find_element("id", "send").click()
                wait_for(driver, lambda: driver.find_elements("css selector", "#log .card"), "the answer")
                ask = next(b for b in driver.find_elements("css selector", "#log button") if b.text == "専門家に聞く")
                ask.click()
                note = wait_for(driver, lambda: text_of(driver, "#log .ask-expert .note"), "the confirmation")
                assert note == "専門家チャンネル（Slack）に質問を送りました。"
                people = text_of(driver, "#log .ask-expert .card.expert")
                assert "鈴木 花子（南川町 総務課）" in people
                (posted,) = wait_for(driver, posts, "the post in the specialists' channel")
                assert MACRO_THREAD[0].text in posted["text"]
                ask.click()
                again = wait_for(
                    driver, lambda: "すでに" in text_of(driver, "#log .ask-expert .note"), "the second press's note"
                )
                assert again and text_of(driver, "#log .ask-expert .note") == (
                    "この質問はすでに専門家チャンネルに送られています。"
                )
                assert "鈴木 花子（南川町 総務課）" in text_of(driver, "#log .ask-expert .card.expert")
                assert len(posts()) == 1
    finally:
        kb.close()


def horizontal_overflow(driver: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0: nothing scrolls sideways)."""
    return int(driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth"))


def test_both_pages_work_on_a_390px_phone(site: str) -> None:
    with browser.chromium(390, 844, mobile=True) as driver:
        driver.get(f"{site}/console")
        wait_for(driver, lambda: driver.find_element("id", "app").is_displayed(), "the console")
        driver.find_element("id", "faq-new").click()
        driver.find_element("id", "f-question").send_keys(FAQ_QUESTION)
        driver.find_element("id", "f-answer").send_keys(FAQ_ANSWER)
        driver.find_element("id", "f-save").click()
        wait_for(driver, lambda: "保存しました" in driver.find_element("id", "f-message").text, "the save message")
        row = wait_for(driver, lambda: driver.find_elements("css selector", "#faq-body tbody tr"), "the FAQ list")[0]
        assert horizontal_overflow(driver) == 0
        # The question reads as text, not one character per line, and every action is on screen.
        question = row.find_element("css selector", "td.question")
        assert question.size["width"] > 250 and question.size["height"] < 120
        for button in row.find_elements("tag name", "button"):
            box = driver.execute_script(
                "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", button
            )
            assert box[0] >= 0 and box[1] <= 390, button.text
        # The editor's preview sits below the fields.
        fields = driver.find_element("css selector", ".fields").rect
        previews = driver.find_element("css selector", ".previews").rect
        assert previews["y"] >= fields["y"] + fields["height"] - 1

        driver.get(f"{site}/")
        driver.find_element("id", "q").send_keys(MACRO_THREAD[0].text)
        driver.find_element("id", "send").click()
        wait_for(driver, lambda: driver.find_elements("css selector", "#log .card"), "the answer")
        assert horizontal_overflow(driver) == 0
        send = driver.find_element("id", "send").rect
        assert send["x"] + send["width"] <= 390


def test_who_and_help_answer_in_the_page_and_are_not_gaps(site: str) -> None:
    with browser.chromium() as driver:
        driver.get(f"{site}/")
        box = driver.find_element("id", "q")
        box.send_keys("who Excelマクロ VBA 保守")
        driver.find_element("id", "send").click()
        expert = wait_for(driver, lambda: driver.find_elements("css selector", "#log .card.expert"), "the experts")[0]
        assert "答えたスレッド" in expert.text
        link = expert.find_element("css selector", "a.out")
        assert link.get_attribute("href").startswith("https://slack.com/app_redirect?channel=U")
        box.clear()
        box.send_keys("help")
        driver.find_element("id", "send").click()
        wait_for(driver, lambda: "who <テーマ>" in text_of(driver, "#log .help"), "the usage text")
        driver.get(f"{site}/console")
        wait_for(driver, lambda: driver.find_element("id", "insights-body").text, "the insights")
        gaps = driver.find_element("id", "insights-body").text
        assert "help" not in gaps and "who Excel" not in gaps


def test_chat_text_is_shown_as_text_and_only_web_links_are_links(tmp_path: Path) -> None:
    """Markup in a message is shown literally, and a thread link that is not http(s) is never made a link."""
    hostile = "<img src=x onerror=\"document.title='owned'\"> プリンタのドライバ配布はどうしていますか？"
    kb = KnowledgeBase.open(
        database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        embedder=FakeEmbedder(),
        index_dir=tmp_path / "index",
        abstain_below=FAKE_ABSTAIN_BELOW,
    )
    events = [
        *community(),
        ev.MessagePosted("slack", "C1", "700.0", "U4", hostile, at(1), url="javascript:alert(1)"),
        ev.MessagePosted(
            "slack", "C1", "700.1", "U2", "<b>グループポリシー</b>で配っています。", at(2), thread_id="700.0"
        ),
    ]
    kb.ingest_many(events)
    kb.sync()
    settings = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_LOCAL": "1"})
    app = create_app(settings, service=KnowledgeService(kb), web_chat=True, console=True)
    try:
        with browser.ServedApp(app) as served, browser.chromium() as driver:
            driver.get(f"{served.url}/")
            driver.find_element("id", "q").send_keys("プリンタのドライバ配布はどうしていますか？")
            driver.find_element("id", "send").click()
            card = wait_for(driver, lambda: driver.find_elements("css selector", "#log .card"), "the answer")[0]
            card.find_element("css selector", "h3 button.title").click()
            wait_for(driver, lambda: card.find_elements("css selector", ".full .post"), "the whole thread")
            assert "<img src=x" in card.text and "<b>グループポリシー</b>" in card.text
            assert driver.find_elements("css selector", "#log img, #log b") == []
            assert driver.title != "owned"
            hrefs = [a.get_attribute("href") for a in driver.find_elements("css selector", "a")]
            assert not any(h and h.lower().startswith("javascript:") for h in hrefs)
    finally:
        kb.close()


def test_the_console_is_japanese_in_an_english_browser_until_english_is_chosen(site: str) -> None:
    from selenium.webdriver.support.ui import Select

    with browser.chromium(language="en-US") as driver:
        assert driver.execute_script("return navigator.language").startswith("en")
        driver.get(f"{site}/console")
        wait_for(driver, lambda: driver.find_element("id", "app").is_displayed(), "the console")
        assert driver.find_element("tag name", "h1").text == "Yorozu 専門家コンソール"
        wait_for(driver, lambda: driver.find_elements("css selector", "#insights-body .meta"), "the insights")
        since = driver.find_element("css selector", "#insights-body .meta").text
        assert re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} から", since), since  # 2026/9/4 から, not 04/09/2026
        Select(driver.find_element("id", "lang")).select_by_value("en")
        wait_for(driver, lambda: driver.find_element("tag name", "h1").text == "Yorozu specialist console", "English")
        wait_for(driver, lambda: driver.find_elements("css selector", "#insights-body .meta"), "the insights")
        assert driver.find_element("css selector", "#insights-body .meta").text.startswith("since ")
        assert driver.find_element("tag name", "html").get_attribute("lang") == "en"
        Select(driver.find_element("id", "lang")).select_by_value("ja")
        wait_for(driver, lambda: driver.find_element("tag name", "h1").text == "Yorozu 専門家コンソール", "Japanese")
