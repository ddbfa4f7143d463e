"""The optional compiled extensions are loaded only when built from the source beside them."""
import pytest

from conftest import compiled_or_skip
from training.extensions import compiled_module


@pytest.mark.parametrize("name", ["_fastscore", "_fastmatch"])
def test_a_module_built_from_another_source_is_not_used(name, monkeypatch):
    module = compiled_or_skip(name)
    monkeypatch.setattr(module, "SOURCE_SHA256", "0" * 64)
    with pytest.warns(RuntimeWarning, match="built from another version"):
        assert compiled_module(name, "the Python path") is None
    monkeypatch.undo()
    assert compiled_module(name, "the Python path") is module


def test_a_missing_module_is_none():
    assert compiled_module("_no_such_extension", "the Python path") is None
