"""Secrets never reach a log line: redact known secret fields and token-shaped text.

`redact_secrets` is a structlog processor (it also runs on records from the standard library's
loggers, through the ProcessorFormatter's pre-chain). It walks the event dict, nested dicts,
lists and tuples included, and
- replaces the value of any key that names a secret (password, token, api_key, authorization,
  sasl_plain_password, private_key, …; case-insensitive, `-`/`_` alike) with REDACTED;
- replaces token patterns inside every string (bearer tokens, OpenAI-style sk-…, GitHub ghp_…,
  AWS access key ids, JWTs, PEM private key blocks, basic-auth passwords in URLs), and the value
  of `password=…` / `'api_key': '…'`-shaped pairs inside text (a dict formatted into a message).
pydantic SecretStr values render as '**********' already; they pass through untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

# Keys whose value is a secret, whatever it looks like (compared lower-cased, '-' read as '_').
SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "bearer",
        "api_key",
        "apikey",
        "x_api_key",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "private_key",
        "sasl_password",
        "sasl_plain_password",
        "kafka_sasl_password",
        "smtp_password",
        "llm_api_key",
        "credentials",
        "session_key",
        "lammesh_token",
    }
)
# A key containing one of these is secret too (e.g. "db_password", "aws_secret_access_key") ...
SECRET_KEY_PARTS = ("password", "passwd", "secret", "api_key", "apikey", "private_key")
# ... and so is one ending in one of these ("github_token", "proxy_authorization"), not "max_tokens".
SECRET_KEY_ENDINGS = ("token", "authorization", "credentials")

TOKEN_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)", re.S),
    # "Bearer <token>" / "Basic <base64>": a credential has a digit in it, "basic information" does not.
    re.compile(r"(?i)\b(bearer|basic)\s+(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{8,}=*"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),  # JWT
    re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}"),  # OpenAI / Anthropic style keys
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),  # Slack tokens
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),  # user:password@ in URLs
)

# key=value / "key": "value" inside text (a dict or URL query rendered into a message), where the
# key ends in a secret word: the value goes, the key stays.
_SECRET_WORD = (
    r"(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|token|authorization|credentials)"
)
_KEY = rf"\b[\w.-]*{_SECRET_WORD}[\"']?\s*[:=]\s*"
KEY_VALUE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?i)({_KEY})([\"'])(.*?)\2"),  # quoted value
    re.compile(rf"(?i)({_KEY})()([^\s\"',;&}}\])]+)"),  # bare value
)


def _replace_value(match: re.Match[str]) -> str:
    key, quote, value = match.group(1), match.group(2), match.group(3)
    if not value or value.startswith(REDACTED[:-1]):
        return match.group(0)
    return f"{key}{quote}{REDACTED}{quote}"


def is_secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    name = key.lower().replace("-", "_")
    return name in SECRET_KEYS or any(part in name for part in SECRET_KEY_PARTS) or name.endswith(SECRET_KEY_ENDINGS)


def redact_text(text: str) -> str:
    """`text` with every token pattern and every secret-named key's value replaced (the scheme
    word of a bearer/basic header is kept)."""
    for pattern in TOKEN_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    for pattern in KEY_VALUE_PATTERNS:
        text = pattern.sub(_replace_value, text)
    return text


def redact(value: Any, _depth: int = 0) -> Any:
    """A copy of `value` with secret fields and token patterns redacted (dicts, lists, tuples, strings)."""
    if _depth > 20:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if is_secret_key(k) and v not in (None, "") else redact(v, _depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        items = [redact(v, _depth + 1) for v in value]
        # (key, value) metadata pairs, e.g. gRPC metadata: ("authorization", "Bearer …")
        if len(value) == 2 and is_secret_key(value[0]) and isinstance(value[1], str):
            items[1] = REDACTED
        return type(value)(items) if isinstance(value, tuple) else items
    if isinstance(value, bytes | bytearray):
        return value
    return value


def redact_secrets(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: see the module docstring. Place it last before the renderer."""
    return redact(event_dict)  # type: ignore[no-any-return]
