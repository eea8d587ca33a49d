"""The simulator page end to end: a real `hamstring serve --no-verify` on a free loopback port, driven by Debian's
headless Chromium through Playwright (no browser download). Screenshots of the main states go to build/screenshots/
(git-ignored). A spoken turn feeds a synthesized WAV as the microphone (Chromium's fake audio capture): a question
said by flite, which the recognizer answers, and out-of-domain speech said by espeak-ng, which it does not catch."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kit import tools

playwright_sync = tools.require_module("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = next((p for p in (os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p), None)
pytestmark = tools.needs(CHROMIUM is not None, "chromium")
QUESTION = "what do i do for a hamstring cramp"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("sim") / "state.sqlite3"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("ALEXA_SKILL_ID", "HAMSTRING_STATE")}
    process = subprocess.Popen(
        [sys.executable, "-m", "hamstring", "serve", "--no-verify", "--port", str(port), "--workers", "1",
         "--state", str(state)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as answer:
                    if json.load(answer)["verify"] is False:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {process.stderr.read().decode()[-500:]}") \
                        from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


SYNTHESIZERS = {"espeak-ng": ["espeak-ng", "-s", "190", "-w", "{out}", "{text}"],
                # The voice the bundled recognizer hears best (benchmarks/voice.py): a question it should answer.
                "flite": ["flite", "-voice", "slt", "-t", "{text}", "-o", "{out}"]}


def microphone_wav(folder: Path, text: str, synthesizer: str = "espeak-ng") -> Path:
    """`text` spoken at 16 kHz (Chromium's fake capture garbles espeak's 22.05 kHz), between 0.25 s and 3 s of
    silence: Chromium loops the file as the microphone from the moment it opens."""
    if shutil.which(synthesizer) is None:
        tools.require_program(synthesizer)
    from local_voice.audio import SAMPLE_RATE, load_wav, write_wav

    spoken = folder / "spoken.wav"
    subprocess.run([arg.format(out=spoken, text=text) for arg in SYNTHESIZERS[synthesizer]], check=True,
                   capture_output=True)
    silence = bytes(2 * SAMPLE_RATE // 4)
    padded = folder / "mic.wav"
    write_wav(padded, silence + load_wav(spoken) + silence * 12)
    return padded


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return microphone_wav(tmp_path_factory.mktemp("voice"), QUESTION, "flite")


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    with playwright_sync.sync_playwright() as playwright:
        yield playwright


def with_microphone(driver, wav: Path) -> object:
    """Headless Chromium whose microphone (permission granted) plays `wav`."""
    return driver.chromium.launch(executable_path=CHROMIUM, args=[
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required"])


def hold_to_speak(tab, ms: int, wait_for_microphone: bool = True) -> None:
    """Holds the button for `ms` of recording: timed from when the microphone is live, which on a busy machine can
    be a while after the press (the speech would be cut short)."""
    tab.get_by_role("button", name="Hold to speak").hover()
    tab.mouse.down()
    if wait_for_microphone:
        tab.wait_for_selector("#simulator[data-recording=live]", timeout=30_000)
    tab.wait_for_timeout(ms)
    tab.mouse.up()


@pytest.fixture(scope="module")
def browser(driver, speech_wav: Path) -> Iterator[object]:
    chromium = with_microphone(driver, speech_wav)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    tab.goto(f"{server}/simulator")
    yield tab
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def turns(page) -> int:
    return page.locator("#turns > li").count()


def say(page, text: str) -> object:
    before = turns(page)
    page.get_by_label("What you say").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#turns > li').length > {before}")
    return page.locator("#turns > li").last


def meta(item, key: str) -> str:
    return str(item.locator(f"dt:text-is('{key}') + dd").inner_text())


def test_typed_conversation_through_the_steps(page) -> None:
    first = say(page, QUESTION)
    assert meta(first, "intent") == "TreatmentIntent" and meta(first, "step") == "1"
    assert "Step 1" in first.inner_text() and "Reprompt:" in first.inner_text() and "Card:" in first.inner_text()
    assert json.loads(page.locator("#session-attributes").inner_text())["step"] == 1
    assert "amzn1.echo-api.session." in page.locator("#session-line").inner_text()
    assert meta(say(page, "next"), "step") == "2"
    third = say(page, "next")
    assert meta(third, "intent") == "AMAZON.NextIntent" and meta(third, "step") == "3"
    back = say(page, "go back")
    assert meta(back, "intent") == "AMAZON.PreviousIntent" and meta(back, "step") == "2"
    jump = say(page, "go to step six")
    assert meta(jump, "slots") == "step=6" and meta(jump, "step") == "6"
    # Skill I/O: the envelopes of the last turn, and the saved place.
    request = json.loads(page.locator("#request-json").text_content())
    assert request["request"]["intent"]["name"] == "GoToStepIntent" and request["session"]["new"] is False
    response = json.loads(page.locator("#response-json").text_content())
    assert response["sessionAttributes"]["step"] == 6
    assert json.loads(page.locator("#persisted").inner_text())["position"] == 6
    page.get_by_text("Envelopes").first.click()
    assert json.loads(page.locator("#request-json").text_content())["session"]["new"] is True
    shot(page, "typed-conversation")
    # End session: a SessionEndedRequest, and the next utterance opens a new session.
    before = turns(page)
    page.get_by_role("button", name="End session").click()
    page.wait_for_function(f"document.querySelectorAll('#turns > li').length > {before}")
    assert meta(page.locator("#turns > li").last, "request") == "SessionEndedRequest"
    assert page.locator("#session-line").inner_text() == "No session open."
    # Forget saved state: the place is gone.
    page.get_by_role("button", name="Forget saved state").click()
    page.wait_for_function("document.getElementById('persisted').textContent.trim() === '{}'")


def test_bad_input_shows_one_message_and_the_page_keeps_working(page) -> None:
    page.get_by_label("What you say").fill("   ")
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == "Type something to say (HTTP 400)."
    page.get_by_label("What you say").fill("cramp " * 100)
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('error').textContent.includes('HTTP 413')")
    assert "cramp cramp" not in alert.inner_text()  # the input is never echoed
    shot(page, "error")
    assert turns(page) == 0
    assert meta(say(page, "what causes hamstring cramps"), "intent") == "CausesIntent"
    assert alert.is_hidden()


def test_echo_show_preview_and_touch(page) -> None:
    page.get_by_label("Echo Show (screen)").check()
    say(page, QUESTION)
    screen = page.locator("#screen")
    assert page.locator("#screen-section").is_visible()
    assert "Step 1 of 8" in screen.inner_text()
    assert screen.get_by_role("button", name="Previous step").is_disabled()
    shot(page, "echo-show")
    before = turns(page)
    screen.get_by_role("button", name="Next step").click()
    page.wait_for_function(f"document.querySelectorAll('#turns > li').length > {before}")
    touched = page.locator("#turns > li").last
    assert meta(touched, "request") == "Alexa.Presentation.APL.UserEvent" and meta(touched, "step") == "2"
    request = json.loads(page.locator("#request-json").text_content())
    assert request["request"]["arguments"] == ["next"] and request["request"]["token"] == "hamstring.step"
    assert "Step 2 of 8" in screen.inner_text()
    assert screen.locator("svg[role=img]").count() == 1  # step 2's illustration
    answer = say(page, "what causes hamstring cramps")
    assert meta(answer, "screen") == "RenderDocument hamstring.answer"
    assert "What causes" in screen.inner_text() or "cause" in screen.inner_text().lower()
    page.get_by_label("Speaker (no screen)").check()
    assert page.locator("#screen-section").is_hidden()
    plain = say(page, "next")
    assert meta(plain, "screen") == "–"


def test_phone_width(browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.goto(f"{server}/simulator")
    say(tab, QUESTION)
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    shot(tab, "phone")
    context.close()


def test_save_and_load_a_conversation(page, server: str, tmp_path: Path) -> None:
    page.get_by_label("Echo Show (screen)").check()
    for text in (QUESTION, "next"):
        say(page, text)
    page.locator("#screen").get_by_role("button", name="Next step").click()
    page.wait_for_function("document.querySelectorAll('#turns > li').length === 3")
    with page.expect_download() as download:
        page.get_by_role("button", name="Save conversation").click()
    assert download.value.suggested_filename == "conversation.json"
    saved = tmp_path / "conversation.json"
    download.value.save_as(saved)
    # An ASK CLI replay file, as `.record FILE --append-quit` writes it (the touch is replayed as its word).
    text = saved.read_text()
    assert text.count("\n") == 1 and text.endswith("}\n")
    replay_file = json.loads(text)
    assert list(replay_file) == ["skillId", "locale", "type", "userInput"]
    assert replay_file["type"] == "text" and replay_file["locale"] == "en-US"
    assert replay_file["skillId"].startswith("amzn1.ask.skill.")
    assert replay_file["userInput"] == [QUESTION, "next", "next", ".quit"]
    # `hamstring chat --replay` plays it: the same intents and steps.
    replay = subprocess.run([sys.executable, "-m", "hamstring", "chat", "--json", "--no-state", "--replay",
                             str(saved)], cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, check=True)
    steps = [json.loads(line)["step"] for line in replay.stdout.decode().splitlines()]
    assert steps == [1, 2, 3]
    # Loaded back into a fresh page, the file is sent utterance by utterance, and so is an older text file.
    lines = tmp_path / "conversation.txt"
    lines.write_text(f"{QUESTION}\nnext\nnext\n")
    for file in (saved, lines):
        page.goto(f"{server}/simulator")
        page.locator("#load").set_input_files(str(file))
        page.wait_for_function("document.querySelectorAll('#turns > li').length === 3")
        assert [meta(page.locator("#turns > li").nth(i), "step") for i in range(3)] == ["1", "2", "3"]
        page.wait_for_function("document.getElementById('talk-status').textContent.startsWith('Replayed 3')")
    # A replay file we cannot play is one message, and nothing is sent.
    bad = tmp_path / "bad.json"
    bad.write_text('{"skillId": "amzn1.ask.skill.x", "locale": "en-US", "type": "voice", "userInput": ["next"]}')
    page.goto(f"{server}/simulator")
    page.locator("#load").set_input_files(str(bad))
    page.wait_for_function("!document.getElementById('error').hidden")
    assert "unknown type" in page.locator("#error").inner_text()
    assert page.locator("#turns > li").count() == 0


def test_spoken_turn(page) -> None:
    hold_to_speak(page, 3600)  # the question takes 2.2 s, after 0.25 s of quiet
    page.wait_for_function("document.querySelectorAll('#turns > li').length === 1 || "
                           "!document.getElementById('error').hidden", timeout=180_000)  # ~40 s on 2 cores
    assert page.get_by_role("alert").is_hidden(), page.get_by_role("alert").inner_text()
    turn = page.locator("#turns > li").last
    heard = turn.locator("p.hint").first.inner_text()
    assert re.match(r"Heard \(pocketsphinx, confidence [01]\.\d\d\): \w", heard), heard
    assert int(page.locator("#simulator").get_attribute("data-last-audio-bytes") or 0) > 10_000  # the reply, spoken
    assert meta(turn, "intent") == "TreatmentIntent", heard
    shot(page, "spoken")


def test_speech_it_is_unsure_of_is_not_sent_to_the_skill(driver, server: str, tmp_path: Path) -> None:
    chromium = with_microphone(driver, microphone_wav(tmp_path, "what is the weather like tomorrow in paris"))
    try:
        tab = chromium.new_page()
        tab.goto(f"{server}/simulator")
        hold_to_speak(tab, 3000)
        tab.wait_for_function("document.querySelectorAll('#turns > li').length === 1 || "
                              "!document.getElementById('error').hidden", timeout=180_000)
        assert tab.get_by_role("alert").is_hidden(), tab.get_by_role("alert").inner_text()
        turn = tab.locator("#turns > li").last
        # Not caught, or (where the recording's start falls differently) checked: how often is the benchmark's to
        # measure. Either way it is the assistant's own turn: no envelopes, and no session was opened.
        assert "local" in (turn.get_attribute("class") or "") and not turn.locator("button.inspect").count()
        assert (meta(turn, "outcome"), "didn't" in turn.locator("p.helper").inner_text()) in (
            ("reject", True), ("confirm", False))
        assert tab.locator("#session-line").inner_text() == "No session open."  # nothing reached the skill
        assert meta(say(tab, "what do i do for a hamstring cramp"), "intent") == "TreatmentIntent"
    finally:
        chromium.close()


def test_microphone_refused(driver, server: str) -> None:
    # Without --use-fake-ui-for-media-stream, headless Chromium refuses the permission prompt.
    chromium = driver.chromium.launch(executable_path=CHROMIUM, args=["--use-fake-device-for-media-stream"])
    try:
        tab = chromium.new_page()
        tab.goto(f"{server}/simulator")
        hold_to_speak(tab, 300, wait_for_microphone=False)  # refused: it never goes live
        alert = tab.get_by_role("alert")
        alert.wait_for()
        assert "Microphone permission was refused" in alert.inner_text()
        assert meta(say(tab, "next"), "intent") is not None  # typing still works
    finally:
        chromium.close()
