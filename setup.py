"""Build of the optional compiled loops; all other metadata lives in pyproject.toml.

Two small C extensions: training/_fastscore.c (the scoring loops, see
training/fast.py) and training/_fastmatch.c (the keyword and clause regexes,
see training/matcher.py). Without a C compiler the build skips them
(``optional=True``) and jinmyaku does the same work in Python, slower. Each
source's sha256 is compiled in, so that a module built from an older source
(a rebuild that failed) can be told and is not used.
"""
import hashlib
from pathlib import Path

from setuptools import Extension, setup


def extension(name: str) -> Extension:
    source = f"training/{name}.c"
    digest = hashlib.sha256((Path(__file__).parent / source).read_bytes()).hexdigest()
    return Extension(f"training.{name}", [source], optional=True,
                     define_macros=[(f"{name[1:].upper()}_SOURCE_SHA256", f'"{digest}"')])


setup(ext_modules=[extension("_fastscore"), extension("_fastmatch")])
