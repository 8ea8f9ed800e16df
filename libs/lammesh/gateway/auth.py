"""Who is calling the gateway: bearer tokens mapped to a tenant, a user and roles.

The tokens file (YAML or JSON, usually a mounted Kubernetes Secret) holds no tokens, only their
SHA-256 digests:

    tokens:
      <sha256 hex of the token>: {tenant: acme, user: ana@acme.com, roles: [read, submit, review]}

A call carries `authorization: Bearer <token>`; a missing, malformed or unknown token is
UNAUTHENTICATED, a known one without the role a method needs is PERMISSION_DENIED. Roles:
`read` (get, list, watch tasks; list reviews), `submit` (submit and cancel tasks), `review`
(approve and reject reviews).

Without a tokens file the gateway runs in dev mode: the tenant comes from the unauthenticated
`x-lammesh-tenant` header (default_tenant when absent), the user from `x-lammesh-user`, with
every role. The gateway logs a warning when it starts that way.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lammesh.errors import PermissionDenied, Unauthenticated, field_path
from lammesh.settings import GatewaySettings

AUTHORIZATION_HEADER = "authorization"
TENANT_HEADER = "x-lammesh-tenant"
USER_HEADER = "x-lammesh-user"

Role = Literal["read", "submit", "review"]
READ: Role = "read"
SUBMIT: Role = "submit"
REVIEW: Role = "review"
ALL_ROLES: frozenset[str] = frozenset({READ, SUBMIT, REVIEW})
TOKEN_PREFIX = "lmt_"


@dataclass(frozen=True)
class Principal:
    tenant: str
    user: str
    roles: frozenset[str]


class TokenGrant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str = Field(min_length=1, max_length=128)
    user: str = Field(min_length=1, max_length=256)
    roles: list[Role] = Field(default_factory=lambda: [READ, SUBMIT])


class TokensFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tokens: dict[str, TokenGrant]

    @field_validator("tokens")
    @classmethod
    def _digests(cls, tokens: dict[str, TokenGrant]) -> dict[str, TokenGrant]:
        for digest in tokens:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
                raise ValueError(f"key {digest[:12]}…: must be the sha256 hex digest of a token (64 hex digits)")
        return {digest.lower(): grant for digest, grant in tokens.items()}


class TokensFileError(ValueError):
    pass


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_file_entry(token: str, *, tenant: str, user: str, roles: list[str]) -> dict[str, dict[str, object]]:
    """The `tokens:` entry of the gateway's tokens file that grants `token` (only its digest is stored)."""
    return {token_digest(token): {"tenant": tenant, "user": user, "roles": list(roles)}}


def new_token() -> str:
    """A fresh random token (256 bits); store only its token_digest."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def load_tokens(path: Path) -> dict[str, Principal]:
    """digest -> Principal from a tokens file; TokensFileError names the file and the bad field."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise TokensFileError(f"gateway_tokens_file {path}: cannot read it: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise TokensFileError(f"gateway_tokens_file {path}: not valid YAML/JSON: {exc}") from None
    try:
        parsed = TokensFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise TokensFileError(
            f"gateway_tokens_file {path}: {field_path(tuple(first['loc']))}: {first['msg']}"
        ) from None
    return {digest: Principal(g.tenant, g.user, frozenset(g.roles)) for digest, g in parsed.tokens.items()}


def _header(metadata: Iterable[tuple[str, str | bytes]] | None, key: str) -> str:
    for name, value in metadata or ():
        if name == key and isinstance(value, str):
            return value
    return ""


class Authenticator:
    """Turns call metadata into a Principal (see the module docstring)."""

    def __init__(self, tokens: dict[str, Principal] | None, default_tenant: str = "default") -> None:
        self._tokens = tokens
        self._default_tenant = default_tenant

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Authenticator:
        if settings.gateway_tokens_file is None:
            return cls(None, settings.default_tenant)
        return cls(load_tokens(settings.gateway_tokens_file), settings.default_tenant)

    @property
    def dev_mode(self) -> bool:
        return self._tokens is None

    @property
    def token_count(self) -> int:
        return len(self._tokens or {})

    def authenticate(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> Principal:
        if self._tokens is None:
            tenant = _header(metadata, TENANT_HEADER) or self._default_tenant
            return Principal(tenant, _header(metadata, USER_HEADER) or tenant, ALL_ROLES)
        header = _header(metadata, AUTHORIZATION_HEADER)
        if not header:
            raise Unauthenticated("missing credentials: send `authorization: Bearer <token>`")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("authorization must be `Bearer <token>`")
        principal = self._tokens.get(token_digest(token))
        if principal is None:
            raise Unauthenticated("unknown or revoked token")
        return principal

    def authorize(self, metadata: Iterable[tuple[str, str | bytes]] | None, role: str) -> Principal:
        principal = self.authenticate(metadata)
        if role not in principal.roles:
            raise PermissionDenied(f"{principal.user} (tenant {principal.tenant}) lacks the {role!r} role")
        return principal
