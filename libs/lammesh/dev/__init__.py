"""Development and test tooling — not part of the runtime a deployed service uses.

- `lammesh.dev.localkafka`: a real single-node Kafka (KRaft) from the jars `make setup` fetched,
  and free-port helpers (`make kafka-up`, `lammesh up`, the test fixture, the bench);
- `lammesh.dev.certs`: a local CA and gRPC server/client certificates (`make certs`, TLS tests);
- `lammesh.dev.smtpsink`: an SMTP server that stores every mail in a Maildir (`lammesh up`).

`lammesh.up` (the local process launcher) builds on these. Nothing under `lammesh.dev` is imported
by a service's bootstrap: in Kubernetes the broker is Strimzi, certificates come from Secrets and
mail goes to a real SMTP relay.
"""
