"""Model fixtures: the artifacts `make models` built (make test runs make setup, which builds them)."""

from __future__ import annotations

import pytest

from lammesh.models import SentenceEncoder, encoder_artifacts, injection_artifacts
from lammesh.models.artifacts import ModelArtifactsMissing


@pytest.fixture(scope="session")
def artifacts():
    try:
        return encoder_artifacts().require()
    except ModelArtifactsMissing as missing:
        pytest.fail(str(missing))


@pytest.fixture(scope="session")
def encoder(artifacts) -> SentenceEncoder:
    return SentenceEncoder.load(backend="onnxruntime", threads=2)


@pytest.fixture(scope="session")
def detector(encoder):
    from lammesh.models.injection.detector import InjectionDetector

    try:
        injection_artifacts().require()
    except ModelArtifactsMissing as missing:
        pytest.fail(str(missing))
    return InjectionDetector.load(backend="onnxruntime", threads=2)
