"""Generated protobuf and gRPC code for lammesh.v1 (made by `make protos` from protos/)."""
