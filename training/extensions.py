"""The optional compiled modules (training/_fastscore.c, training/_fastmatch.c), built by pip install."""
from __future__ import annotations

import importlib
import warnings
from hashlib import sha256
from pathlib import Path


def compiled_module(name: str, fallback: str):
    """``training.<name>`` as built from ``training/<name>.c``; None without it (no C compiler at
    install), or when it was built from another version of the source (a rebuild that failed leaves
    the old module in place: setup.py compiles the source's sha256 in). ``fallback`` says, in the
    warning, what serves instead."""
    try:
        module = importlib.import_module(f"training.{name}")
    except ImportError:  # pragma: no cover - depends on the install
        return None
    source = Path(__file__).with_name(f"{name}.c")
    if source.exists() and getattr(module, "SOURCE_SHA256", "") != sha256(source.read_bytes()).hexdigest():
        warnings.warn(f"{module.__file__} was built from another version of {source.name}: "
                      f"{fallback} until it is rebuilt (pip install -e .)", RuntimeWarning, stacklevel=2)
        return None
    return module
