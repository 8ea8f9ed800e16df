"""Fixtures of the k8s tests: each deployable target rendered once per session with kustomize."""

from __future__ import annotations

import pytest

from tests.k8s.manifests import TARGETS, Manifests, render

_rendered: dict[str, Manifests] = {}


def rendered(target: str) -> Manifests:
    if target not in _rendered:
        _rendered[target] = Manifests(target, render(TARGETS[target]))
    return _rendered[target]


@pytest.fixture(params=sorted(TARGETS))
def manifests(request: pytest.FixtureRequest) -> Manifests:
    return rendered(request.param)
