#!/usr/bin/env python3
"""Screenshots of the web chat and the specialist console, as ``yorozu demo`` shows them.

Loads the sample community (and its FAQ entries) into a fresh knowledge base with the default embedder,
asks a few questions the way members would (three wordings of one question nobody answered, some
chatter, an answer found unhelpful), then photographs both pages in headless Chromium at 1280 px and
at 390 px (a phone):

    python -m scripts.screenshots            # writes docs/images/*.png (about 3 minutes)
    python -m scripts.screenshots --data-dir /tmp/yorozu-shots   # keeps (and reuses) the imported data

Run from the repository's root as a module: it drives the browser with the tests' helper (``tests.browser``),
which is not part of the installed package.

Needs chromium, chromium-driver and fonts-noto-cjk (Debian packages; fonts-noto-color-emoji for the reactions)
and the ``selenium`` package.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.app import create_app
from bot.server import load_sample_if_empty
from bot.service import KnowledgeService, open_knowledge_base
from bot.settings import Settings
from knowledge.model import Scope
from tests import browser

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "docs" / "images"
# What members asked Yorozu in chat before the screenshots: one question asked three ways that no
# thread answers (a knowledge gap, one row in the console), and chatter that stays out of the gaps.
ASKED = [
    "AI-OCRを導入して効果はありましたか",
    "AI-OCRの導入効果はどうでしたか？",
    "AI-OCRって導入して効果ありましたか？",
    "ありがとうございます",
    "今日のお昼ごはんは何にしようかな",
]
CHAT_QUESTION = "異動のとき、共有フォルダのアクセス権はどう切り替えていますか？"
UNHELPFUL_QUESTION = "Windows Update の配信を業務時間外にずらす方法はありますか"
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}


def wait(driver: Any, find: Any, seconds: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(lambda _: find())


def shoot(driver: Any, path: Path, width: int, *, mobile: bool = False) -> None:
    """The whole page (not just the viewport) as a PNG."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": min(height, 6000), "deviceScaleFactor": 1, "mobile": mobile},
    )
    time.sleep(0.3)
    driver.save_screenshot(str(path))
    print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


def ask_in_chat(driver: Any, site: str, question: str) -> list[Any]:
    driver.get(f"{site}/")
    driver.find_element("id", "q").send_keys(question)
    driver.find_element("id", "send").click()
    return wait(driver, lambda: driver.find_elements("css selector", "#log .card"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="where to keep the imported sample (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the PNG files (default docs/images)")
    args = parser.parse_args(argv)
    if reason := browser.missing():
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as temp:
        data_dir = args.data_dir or Path(temp)
        settings = Settings.from_env({"YOROZU_DATA_DIR": str(data_dir), "YOROZU_LOCAL": "1"})
        kb = open_knowledge_base(settings)
        try:
            if load_sample_if_empty(kb):
                for question in ASKED:
                    kb.suggest(question, scope=Scope.public(), record=True)
            app = create_app(settings, service=KnowledgeService(kb), web_chat=True, console=True)
            args.out.mkdir(parents=True, exist_ok=True)
            with browser.ServedApp(app) as served:
                take(served.url, args.out)
        finally:
            kb.close()
    return 0


def take(site: str, out: Path) -> None:
    with browser.chromium(1280, 900) as driver:
        # A member found one answer unhelpful: it waits in the console's review queue.
        cards = ask_in_chat(driver, site, UNHELPFUL_QUESTION)
        next(b for b in cards[0].find_elements("tag name", "button") if b.text == "役に立たなかった").click()
        wait(driver, lambda: cards[0].find_element("css selector", ".note").text)

        # The web chat: an FAQ entry first, with its verifier; the thread below it opened in full.
        cards = ask_in_chat(driver, site, CHAT_QUESTION)
        thread = next((c for c in cards if "faq" not in c.get_attribute("class").split()), cards[0])
        thread.find_element("css selector", "h3 button.title").click()
        wait(driver, lambda: thread.find_elements("css selector", ".full .post"))
        shoot(driver, out / "webchat.png", 1280)

        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        )
        driver.get(f"{site}/console")
        wait(driver, lambda: driver.find_elements("css selector", "#faq-body tbody tr"))
        wait(driver, lambda: driver.find_element("id", "insights-body").text)
        shoot(driver, out / "console.png", 1280)

        # The editor with its Teams and Slack previews, on the entry due for review.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        )
        row = driver.find_elements("css selector", "#faq-body tbody tr")[0]
        next(b for b in row.find_elements("tag name", "button") if b.text == "編集").click()
        wait(driver, lambda: driver.find_element("id", "f-question").get_attribute("value"))
        editor = driver.find_element("id", "faq-editor")
        driver.execute_script("arguments[0].scrollIntoView()", editor)
        editor.screenshot(str(out / "console-editor.png"))
        print(f"wrote {(out / 'console-editor.png').relative_to(ROOT)}", file=sys.stderr)

    with browser.chromium(390, 844, mobile=True) as driver:
        driver.get(f"{site}/console")
        wait(driver, lambda: driver.find_elements("css selector", "#faq-body tbody tr"))
        driver.find_element("id", "faq").location_once_scrolled_into_view  # noqa: B018 - scrolls
        driver.save_screenshot(str(out / "console-390.png"))
        print(f"wrote {(out / 'console-390.png').relative_to(ROOT)}", file=sys.stderr)
        ask_in_chat(driver, site, CHAT_QUESTION)
        driver.save_screenshot(str(out / "webchat-390.png"))
        print(f"wrote {(out / 'webchat-390.png').relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
