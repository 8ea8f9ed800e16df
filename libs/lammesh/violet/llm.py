"""Paraphrases from an LLM, when one is configured (`LAMMESH_LLM_URL`: an OpenAI-compatible
server; `/v1/chat/completions` is appended unless the URL already names it).

Time-boxed; any failure (no server, a timeout, an answer that is not a list of texts) degrades to
the template variants alone, with one log line. The label is never asked of the LLM: every
paraphrase keeps the case's label, and the gates check the patch whatever the LLM wrote.
"""

from __future__ import annotations

import json
import logging
import os

import httpx

from lammesh.feedback.case import FeedbackCase

log = logging.getLogger("lammesh.violet")

ENV_URL = "LAMMESH_LLM_URL"
ENV_MODEL = "LAMMESH_LLM_MODEL"
MAX_PARAPHRASES = 8
PROMPT = (
    "Rewrite the text below {count} times with the same meaning and intent, varying wording, order and tone. "
    "Keep every instruction, name and number it has; add nothing. Answer with a JSON array of strings only.\n\nTEXT:\n{text}"
)


def endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/v1/chat/completions"


def paraphrases(
    case: FeedbackCase, *, url: str | None = None, count: int = MAX_PARAPHRASES, timeout_s: float = 20.0
) -> list[tuple[str, str]]:
    """(kind "llm", text) pairs, or [] when no LLM is configured or it failed."""
    url = url or os.environ.get(ENV_URL, "")
    if not url:
        return []
    body = {
        "model": os.environ.get(ENV_MODEL, "default"),
        "messages": [{"role": "user", "content": PROMPT.format(count=count, text=case.content[:4000])}],
        "temperature": 0.8,
    }
    try:
        response = httpx.post(endpoint(url), json=body, timeout=timeout_s)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        start, end = content.find("["), content.rfind("]")
        texts = json.loads(content[start : end + 1])
        if not isinstance(texts, list):
            raise ValueError("the answer is not a JSON array")
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as error:
        log.warning("LLM paraphrases unavailable (%s: %s); template variants only", type(error).__name__, error)
        return []
    return [("llm", t.strip()) for t in texts[:count] if isinstance(t, str) and t.strip()]
