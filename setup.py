"""Package layout (everything else is in pyproject.toml).

The shared runtime lives in libs/lammesh (importable as `lammesh`); every deployable service lives
in services/ (importable as `lammesh_services`). Subpackages are found automatically.
"""

from setuptools import find_packages, setup

runtime = find_packages("libs", include=["lammesh", "lammesh.*"])
services = ["lammesh_services", *(f"lammesh_services.{name}" for name in find_packages("services"))]

setup(
    packages=runtime + services,
    package_dir={"lammesh": "libs/lammesh", "lammesh_services": "services"},
)
