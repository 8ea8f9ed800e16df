"""LLM paraphrases against a real local HTTP server speaking the OpenAI chat-completions shape."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lammesh.modelregistry import ModelRef
from lammesh.violet import llm
from tests.support.feedback import feedback_case

CASE = feedback_case(model=ModelRef("injection", "1", "c" * 64))


@pytest.fixture
def server():
    answers = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answers.append((self.path, body))
            status, content = answers_to_give.pop(0)
            payload = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    answers_to_give: list[tuple[int, str]] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", answers_to_give, answers
    httpd.shutdown()
    httpd.server_close()


def test_paraphrases_come_back_as_llm_variants(server):
    url, to_give, received = server
    to_give.append((200, 'Sure: ["Disregard the earlier quote, please.", "", 3, "The old quote no longer applies."]'))
    assert llm.paraphrases(CASE, url=url) == [
        ("llm", "Disregard the earlier quote, please."),
        ("llm", "The old quote no longer applies."),
    ]
    path, body = received[0]
    assert path == "/v1/chat/completions" and CASE.content in body["messages"][0]["content"]


@pytest.mark.parametrize("answer", [(500, "[]"), (200, "no list here")])
def test_failures_degrade_to_no_paraphrases(server, answer, caplog):
    url, to_give, _ = server
    to_give.append(answer)
    assert llm.paraphrases(CASE, url=url) == []
    assert "template variants only" in caplog.text


def test_no_url_means_no_llm(monkeypatch):
    monkeypatch.delenv(llm.ENV_URL, raising=False)
    assert llm.paraphrases(CASE) == []
