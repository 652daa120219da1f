"""PL402, PL601, PL701, PL702 beyond their document examples: options, where the chunk size
comes from, offline detection by path and configuration, framework step units."""

from __future__ import annotations

import textwrap

from promptlint.engine import lint_source
from promptlint.settings import Settings


def findings(source: str, code: str, path: str = "example.py", **options):
    settings = Settings(select=[code], rule_options={code: options} if options else {})
    result = lint_source(path, textwrap.dedent(source).encode(), settings)
    assert not result.errors, result.errors
    return [f for f in result.findings if f.code == code]


# -- PL402 -----------------------------------------------------------------------------
RETRIEVER = """
    def build(vectorstore):
        return vectorstore.as_retriever(search_kwargs={"k": 8})
"""


def test_pl402_limit_and_chunk_tokens_are_options():
    [f] = findings(RETRIEVER, "PL402")
    assert f.waste_tokens_per_call == 3 * 500 and "configured `chunk-tokens`" in f.message
    [f] = findings(RETRIEVER, "PL402", **{"chunk-tokens": 200})
    assert f.waste_tokens_per_call == 3 * 200
    assert findings(RETRIEVER, "PL402", **{"max-k": 8}) == []


def test_pl402_chunk_size_from_the_package(tmp_path, monkeypatch):
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "ingest.py").write_text("from llama_index.core.node_parser import SentenceSplitter\n"
                                   "parser = SentenceSplitter(chunk_size=256)\n")
    (pkg / "rag.py").write_text(textwrap.dedent(RETRIEVER))
    monkeypatch.chdir(tmp_path)
    [f] = findings(RETRIEVER, "PL402", path="app/rag.py")
    assert f.waste_tokens_per_call == 3 * 256
    assert "app/ingest.py" in f.message


def test_pl402_generic_names_need_the_library_import():
    source = """
        def search(client, vector):
            return client.query_points(collection_name="docs", query=vector, limit=50)
    """
    assert findings(source, "PL402") == []
    [f] = findings("from qdrant_client import QdrantClient\n" + textwrap.dedent(source), "PL402")
    assert f.waste_tokens_per_call == 45 * 500


def test_pl402_faiss_positional_k():
    source = """
        import faiss

        index = faiss.IndexFlatL2(768)

        def nearest(vectors):
            distances, ids = index.search(vectors, 32)
            return ids
    """
    [f] = findings(source, "PL402")
    assert f.span.line == 7 and "`k=32`" in f.message


def test_pl402_helper_in_another_module_reported_at_the_caller(tmp_path, monkeypatch):
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "store.py").write_text(textwrap.dedent("""
        from langchain_chroma import Chroma

        store = Chroma(collection_name="docs")

        def shout(text):
            return text.upper()

        def search(query, k=20):
            return store.similarity_search(query, k=k)
    """))
    caller = """
        from openai import OpenAI
        from app.store import search, shout

        client = OpenAI()

        def answer(question):
            docs = shout(question), search(question), search(question, k=3)
            return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=50, messages=[
                {"role": "user", "content": str(docs)}])
    """
    monkeypatch.chdir(tmp_path)
    [f] = findings(caller, "PL402", path="app/answer.py")
    assert f.span.line == 8 and "keeps its default `k=20`" in f.message and "app/store.py:10" in f.message


# -- PL601 -----------------------------------------------------------------------------
LOOP = """
    from openai import OpenAI

    client = OpenAI()

    def label_all(rows):
        for row in rows:
            client.chat.completions.create(model="gpt-4.1-mini", max_tokens=5,
                                           messages=[{"role": "user", "content": row}])
"""


def test_pl601_offline_by_path_or_configuration():
    assert findings(LOOP, "PL601") == []  # a library function: could be serving requests
    assert len(findings(LOOP, "PL601", path="jobs/nightly_labels.py")) == 1
    assert len(findings(LOOP, "PL601", path="app/backfill_labels.py")) == 1
    [f] = findings(LOOP, "PL601", **{"offline-functions": ["label_*"]})
    assert "offline-functions" in f.message and f.waste_kind == "batch-discount"


def test_pl601_module_level_loop_is_script_code():
    source = """
        from openai import OpenAI

        client = OpenAI()
        for line in open("questions.txt"):
            client.chat.completions.create(model="gpt-4.1-mini", max_tokens=50,
                                           messages=[{"role": "user", "content": line}])
    """
    [f] = findings(source, "PL601")
    assert "module-level" in f.message


def test_pl601_request_handler_in_a_jobs_directory_stays_quiet():
    source = """
        from flask import Blueprint
        from openai import OpenAI

        bp = Blueprint("labels", __name__)
        client = OpenAI()

        @bp.route("/labels", methods=["POST"])
        def labels(rows):
            return [client.chat.completions.create(model="gpt-4.1-mini", max_tokens=5,
                                                   messages=[{"role": "user", "content": r}]) for r in rows]
    """
    assert findings(source, "PL601", path="jobs/api.py") == []


# -- PL701 -----------------------------------------------------------------------------
def test_pl701_langgraph_counts_two_super_steps_per_call():
    source = """
        from langgraph.prebuilt import create_react_agent

        def run(agent, state):
            return agent.invoke(state, {"recursion_limit": 90})

        def run_long(agent, state):
            return agent.invoke(state, config={"recursion_limit": 400})
    """
    [f] = findings(source, "PL701")
    assert f.span.line == 8 and "about 200 model calls" in f.message
    assert len(findings(source, "PL701", **{"max-iterations": 500})) == 0


def test_pl701_queue_worker_is_not_an_agent_loop():
    source = """
        import queue
        from openai import OpenAI

        client = OpenAI()
        jobs = queue.Queue()

        def worker():
            while True:
                text = jobs.get()
                client.chat.completions.create(model="gpt-4.1-mini", max_tokens=50,
                                               messages=[{"role": "user", "content": text}])
    """
    assert findings(source, "PL701") == []


def test_pl701_explicit_unbounded_values():
    source = """
        import sys
        from agents import Runner

        async def go(agent, text):
            return await Runner.run(agent, text, max_turns=sys.maxsize)
    """
    [f] = findings(source, "PL701")
    assert "sys.maxsize" in f.message


VOICE_LOOP = """
    import pyaudio
    from openai import OpenAI

    client = OpenAI()


    def record(path, seconds=5):
        audio = pyaudio.PyAudio()
        stream = audio.open(format=pyaudio.paInt16, channels=1, rate=16000, input=True)
        frames = [stream.read(1024) for _ in range(int(16000 / 1024 * seconds))]
        save_wav(path, frames)


    def answer(text):
        reply = client.chat.completions.create(model="gpt-4.1-mini", max_tokens=300,
                                               messages=[{"role": "user", "content": text}])
        return reply.choices[0].message.content


    def main():
        while True:
            record("turn.wav")
            speak(answer(transcribe("turn.wav")))
"""


def test_pl701_a_loop_paced_by_input_read_in_a_helper_is_not_an_agent_loop():
    """The user speaks (a microphone stream) inside `record`, which the loop calls: each turn
    waits for them, as a loop calling `input()` itself does."""
    assert findings(VOICE_LOOP, "PL701") == []
    # the same loop whose helper reads a file instead of the microphone is the model's to stop
    from_file = VOICE_LOOP.replace(", input=True)", ")")
    [f] = findings(from_file, "PL701")
    assert f.span.line == 22 and "through `answer()`" in f.message


def test_pl701_input_read_in_a_method_of_the_loops_class_or_by_a_capture_device():
    source = """
        import sounddevice as sd
        from anthropic import Anthropic

        class Assistant:
            def __init__(self):
                self.client = Anthropic()

            def next_question(self):
                return input("you> ")

            def chat(self):
                while True:
                    question = self.next_question()
                    self.client.messages.create(model="claude-haiku-4-5", max_tokens=200,
                                                messages=[{"role": "user", "content": question}])

            def listen(self):
                while True:
                    clip = sd.rec(16000 * 5, samplerate=16000, channels=1)
                    self.client.messages.create(model="claude-haiku-4-5", max_tokens=200,
                                                messages=[{"role": "user", "content": transcribe(clip)}])
    """
    assert findings(source, "PL701") == []


def test_pl701_a_repl_reading_through_the_terminals_get_input_is_not_an_agent_loop():
    """`self.get_input()` whose body asks the terminal object (`self.io.get_input(...)`): the
    user's next message paces the loop, as with `input()`."""
    source = """
        from openai import OpenAI

        class Chat:
            def __init__(self, io):
                self.io, self.client = io, OpenAI()

            def get_input(self):
                return self.io.get_input(self.root, self.files)

            def run(self):
                while True:
                    message = self.get_input()
                    self.client.chat.completions.create(model="gpt-4.1", max_tokens=300,
                                                        messages=[{"role": "user", "content": message}])
    """
    assert findings(source, "PL701") == []


def test_pl701_a_continuation_set_only_below_a_limit_bounds_the_loop():
    """The loop goes on while `prompt` is set; each turn clears it and sets it again only while
    `tries < max_tries`. Without the clearing, the same comparison bounds nothing."""
    bounded = """
        from openai import OpenAI

        client = OpenAI()

        def chat(prompt, max_tries=3):
            tries = 0
            while prompt:
                reply = client.chat.completions.create(model="gpt-4.1", max_tokens=300,
                                                       messages=[{"role": "user", "content": prompt}])
                prompt = None
                if needs_fix(reply):
                    if tries < max_tries:
                        tries += 1
                        prompt = fix_prompt(reply)
    """
    assert findings(bounded, "PL701") == []
    unbounded = bounded.replace("                prompt = None\n", "                prompt = next_prompt(reply)\n")
    assert unbounded != bounded
    [f] = findings(unbounded, "PL701")
    assert "while prompt" in f.message


def test_pl701_a_helper_that_sleeps_or_asks_a_model_does_not_pace_the_loop():
    """A helper's `time.sleep` is as often an LLM call's retry back-off as a poller, and a
    helper's `self.ask(...)` is the project's own method, not the user: the loop still fires."""
    source = """
        import time
        from openai import OpenAI

        client = OpenAI()

        def step(messages):
            try:
                return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=500, messages=messages)
            except TimeoutError:
                time.sleep(5)
                return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=500, messages=messages)

        class Agent:
            def ask(self, messages):
                return client.chat.completions.create(model="gpt-4.1-mini", max_tokens=500, messages=messages)

            def run(self, messages):
                while True:
                    messages.append(self.ask(messages))

        def run(messages):
            while True:
                messages.append(step(messages))
    """
    assert sorted(f.span.line for f in findings(source, "PL701")) == [19, 23]


def test_pl701_input_read_in_an_imported_project_function(tmp_path, monkeypatch, capsys):
    """One level into another module of the project: `from app.audio import listen`."""
    import json

    from promptlint.cli import main

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "audio.py").write_text(textwrap.dedent("""
        import speech_recognition as sr

        def listen():
            recognizer = sr.Recognizer()
            with sr.Microphone() as source:
                return recognizer.recognize_whisper(recognizer.listen(source))

        def load(path):
            return open(path).read()
    """))
    (tmp_path / "app" / "main.py").write_text(textwrap.dedent("""
        from openai import OpenAI
        from app import audio
        from app.audio import listen, load

        client = OpenAI()

        def talk():
            while True:
                heard = listen()
                client.chat.completions.create(model="gpt-4.1-mini", max_tokens=300,
                                               messages=[{"role": "user", "content": heard}])

        def talk_too():
            while True:
                heard = audio.listen()
                client.chat.completions.create(model="gpt-4.1-mini", max_tokens=300,
                                               messages=[{"role": "user", "content": heard}])

        def replay(path):
            while True:
                client.chat.completions.create(model="gpt-4.1-mini", max_tokens=300,
                                               messages=[{"role": "user", "content": load(path)}])
    """))
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--isolated", "--no-cache", "--exit-zero", "--select", "PL701",
                 "--output-format", "json", "."]) == 0
    found = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["path"], f["location"]["line"]) for f in found] == [("app/main.py", 21)]


# -- PL702 -----------------------------------------------------------------------------
def test_pl702_trim_functions_option():
    source = """
        from openai import OpenAI

        client = OpenAI()

        def chat(keep_recent):
            history = []
            while True:
                history.append({"role": "user", "content": input()})
                keep_recent(history)
                reply = client.chat.completions.create(model="gpt-4.1", max_tokens=300, messages=history)
                history.append({"role": "assistant", "content": reply.choices[0].message.content})
    """
    [f] = findings(source, "PL702")
    assert f.span.line == 11 and f.waste_tokens_per_call is None
    assert findings(source, "PL702", **{"trim-functions": ["keep_recent"]}) == []


def test_pl702_static_growth_is_estimated_for_turn_ten():
    source = """
        from openai import OpenAI

        client = OpenAI()

        def loop(task):
            messages = [{"role": "user", "content": task}]
            for _ in range(30):
                client.chat.completions.create(model="gpt-4.1", max_tokens=300, messages=messages)
                messages.append({"role": "user", "content": "Keep going."})
    """
    [f] = findings(source, "PL702")
    assert f.waste_tokens_per_call == 9 * 3 and "turn 10" in f.message
