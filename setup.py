"""Build of the optional compiled scoring loops; all other metadata lives in pyproject.toml.

Without a C compiler the build skips the extension (``optional=True``) and
jinmyaku runs the same arithmetic in Python, slower (see training/fast.py).
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("training._fastscore", ["training/_fastscore.c"], optional=True,
                             extra_compile_args=["-O2"])])
