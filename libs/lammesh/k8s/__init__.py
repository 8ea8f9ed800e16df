"""Kubernetes manifests rendered from the service catalogue and the topic catalogue.

`python -m lammesh.k8s render` writes the per-service manifests, the KafkaTopics and the KafkaUser
ACLs under `k8s/base/`; `--check` fails when a committed file is stale. Everything else in `k8s/`
(Kafka cluster, shared network policies, settings, overlays) is written by hand and reviewed as
such. `manifests` is pure (catalogues and settings in, objects out); `__main__` does the file I/O.
"""
