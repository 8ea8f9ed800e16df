"""Optional OpenAI-compatible chat endpoint (`LAMMESH_LLM_URL`, e.g. http://127.0.0.1:8000/v1).

Used by agents only when configured; the default path needs no network. A failing endpoint is
reported and the agent falls back to its local models, so the LLM can only ever add quality."""

from __future__ import annotations

import aiohttp
import structlog

from lammesh.settings import StepServiceSettings

log = structlog.get_logger(__name__)


class LlmUnavailable(RuntimeError):
    pass


class ChatClient:
    def __init__(self, settings: StepServiceSettings) -> None:
        if not settings.llm_url:
            raise ValueError("LAMMESH_LLM_URL is not set")
        self._url = settings.llm_url.rstrip("/") + "/chat/completions"
        self._model = settings.llm_model
        self._key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        self._timeout = aiohttp.ClientTimeout(total=settings.llm_timeout_s)

    @classmethod
    def from_settings(cls, settings: StepServiceSettings) -> ChatClient | None:
        return cls(settings) if settings.llm_url else None

    async def complete(self, system: str, user: str, *, max_tokens: int = 400) -> str:
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        body = {
            "model": self._model,
            "temperature": 0,
            "max_tokens": max_tokens,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        }
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session:
                async with session.post(self._url, json=body, headers=headers) as response:
                    if response.status != 200:
                        raise LlmUnavailable(f"{self._url}: HTTP {response.status}: {(await response.text())[:200]}")
                    payload = await response.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise LlmUnavailable(f"{self._url}: {exc}") from None
        try:
            return str(payload["choices"][0]["message"]["content"]).strip()
        except (KeyError, IndexError, TypeError):
            raise LlmUnavailable(f"{self._url}: unexpected answer shape") from None
