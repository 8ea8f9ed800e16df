"""LAM Mesh services: one folder per deployable service, each a thin entrypoint over `lammesh`."""
