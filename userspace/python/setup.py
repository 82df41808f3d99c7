# SPDX-License-Identifier: GPL-2.0
"""kcache for Python: /dev/kcache through libkcache, as a C extension.

Builds offline with Debian's python3-dev and python3-setuptools:

    pip install --no-build-isolation --no-index --break-system-packages ./userspace/python

or, without pip, ``make python`` at the top of the tree (build/python).
The extension compiles libkcache.c itself (no libkcache.a needed) against
the uapi header of this tree.
"""
import os

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
# setuptools wants source paths relative to this directory.
TOP = os.path.relpath(os.path.join(HERE, "..", ".."), HERE)

ext = Extension(
    "kcache._kcache",
    sources=["kcache/_kcache.c", "kcache/batch.c", "kcache/lib.c"],
    include_dirs=["kcache", os.path.join(TOP, "userspace", "lib"),
                  os.path.join(TOP, "uapi")],
    depends=["kcache/kcmod.h", os.path.join(TOP, "userspace", "lib", "libkcache.h"),
             os.path.join(TOP, "userspace", "lib", "libkcache.c"),
             os.path.join(TOP, "uapi", "linux", "kcache.h")],
    extra_compile_args=["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                        "-Wno-missing-field-initializers", "-Wno-cast-function-type"] +
    # The top-level Makefile builds with warnings as errors, as the C tree.
    (["-Werror"] if os.environ.get("KCACHE_WERROR") == "1" else []),
)

setup(
    name="kcache",
    version="0.1",
    description="Python client for kcache, the in-kernel cache (/dev/kcache)",
    license="GPL-2.0",
    packages=["kcache"],
    ext_modules=[ext],
    python_requires=">=3.9",
)
