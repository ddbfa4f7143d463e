"""Build of the optional compiled scoring loops; all other metadata lives in pyproject.toml.

Without a C compiler the build skips the extension (``optional=True``) and
jinmyaku runs the same arithmetic in Python, slower (see training/fast.py).
The source's sha256 is compiled in, so that training.fast can tell a module
built from an older training/_fastscore.c (a rebuild that failed) and not use it.
"""
import hashlib
from pathlib import Path

from setuptools import Extension, setup

SOURCE = "training/_fastscore.c"
DIGEST = hashlib.sha256((Path(__file__).parent / SOURCE).read_bytes()).hexdigest()

setup(ext_modules=[Extension("training._fastscore", [SOURCE], optional=True,
                             define_macros=[("FASTSCORE_SOURCE_SHA256", f'"{DIGEST}"')])])
