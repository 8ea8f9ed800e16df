"""The gateway's tokens file and bearer-token parsing (lammesh.gateway.auth), without a server."""

from __future__ import annotations

import json

import pytest

from lammesh.errors import PermissionDenied, Unauthenticated
from lammesh.gateway.auth import ALL_ROLES, Authenticator, TokensFileError, load_tokens, new_token, token_digest
from lammesh.settings import Settings


def write(tmp_path, data) -> object:  # type: ignore[no-untyped-def]
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_tokens_file_maps_digests_to_principals_and_never_holds_the_token(tmp_path) -> None:
    token = new_token()
    assert token.startswith("lmt_") and len(token) > 40 and new_token() != token
    path = write(
        tmp_path, {"tokens": {token_digest(token).upper(): {"tenant": "acme", "user": "ana", "roles": ["read"]}}}
    )
    auth = Authenticator.from_settings(Settings(gateway_tokens_file=path))
    assert not auth.dev_mode
    principal = auth.authenticate([("authorization", f"Bearer {token}")])
    assert (principal.tenant, principal.user, principal.roles) == ("acme", "ana", frozenset({"read"}))
    assert token not in path.read_text()
    with pytest.raises(PermissionDenied, match="'submit'"):
        auth.authorize([("authorization", f"bearer {token}")], "submit")
    for header in (None, "", "Bearer", f"Token {token}", f"Bearer {token}x"):
        with pytest.raises(Unauthenticated):
            auth.authenticate([("authorization", header)] if header is not None else [])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tokens": {"abc": {"tenant": "acme", "user": "ana"}}}, "must be the sha256 hex digest"),
        ({"tokens": {"a" * 64: {"tenant": "", "user": "ana"}}}, f"tokens.{'a' * 64}.tenant"),
        ({"tokens": {"a" * 64: {"tenant": "acme", "user": "ana", "roles": ["admin"]}}}, "roles.0"),
        ({"tokens": {"a" * 64: {"tenant": "acme", "user": "ana", "role": "read"}}}, "role"),
        ({"users": {}}, "tokens"),
        ("tokens: [unclosed", "not valid YAML"),
    ],
)
def test_a_broken_tokens_file_fails_at_start_naming_the_field(tmp_path, data, message) -> None:
    with pytest.raises(TokensFileError, match="gateway_tokens_file") as info:
        load_tokens(write(tmp_path, data))
    assert message in str(info.value)


def test_missing_tokens_file_is_named() -> None:
    with pytest.raises(TokensFileError, match="cannot read"):
        Authenticator.from_settings(Settings(gateway_tokens_file="/nonexistent/tokens.yaml"))


def test_dev_mode_takes_the_tenant_from_the_header() -> None:
    auth = Authenticator.from_settings(Settings(default_tenant="sandbox"))
    assert auth.dev_mode
    assert auth.authenticate([("x-lammesh-tenant", "acme"), ("x-lammesh-user", "ana")]).tenant == "acme"
    anonymous = auth.authenticate([])
    assert (anonymous.tenant, anonymous.user, anonymous.roles) == ("sandbox", "sandbox", ALL_ROLES)


def test_lammesh_token_new_prints_a_token_and_a_tokens_file_entry_that_accepts_it(tmp_path) -> None:
    from typer.testing import CliRunner

    from lammesh.cli import app

    result = CliRunner().invoke(
        app, ["token", "new", "--tenant", "acme", "--user", "ana@acme.com", "--roles", "read,review"]
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    token = next(line for line in lines if line.startswith("lmt_"))
    entry = "\n".join(lines[lines.index("tokens:") :])
    path = tmp_path / "tokens.yaml"
    path.write_text(entry)
    assert token not in entry
    principal = Authenticator.from_settings(Settings(gateway_tokens_file=path)).authenticate(
        [("authorization", f"Bearer {token}")]
    )
    assert (principal.tenant, principal.user, principal.roles) == (
        "acme",
        "ana@acme.com",
        frozenset({"read", "review"}),
    )
    refused = CliRunner().invoke(app, ["token", "new", "--tenant", "acme", "--user", "ana", "--roles", "admin"])
    assert refused.exit_code == 2
