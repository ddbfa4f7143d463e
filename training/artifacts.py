"""Saving and loading versioned model artifacts (model.joblib + metadata.json)."""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import joblib

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_POINTER = MODELS_DIR / "DEFAULT"
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
FORMAT_VERSION = 2  # 2: the model has a seventh output, in scope, that decides abstention


class ModelLoadError(RuntimeError):
    """A model directory that cannot be used; the message names the file and the fix."""


def library_versions() -> dict[str, str]:
    import fugashi
    import numpy
    import scipy
    import sklearn

    try:
        import unidic_lite
        unidic_version = getattr(unidic_lite, "__version__", "unknown")
    except ImportError:  # pragma: no cover
        unidic_version = "missing"
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__, "joblib": joblib.__version__,
            "fugashi": getattr(fugashi, "__version__", "unknown"), "unidic-lite": unidic_version}


def default_model_dir() -> Path:
    """$JINMYAKU_MODEL, else the directory named in models/DEFAULT."""
    if os.environ.get("JINMYAKU_MODEL"):
        return Path(os.environ["JINMYAKU_MODEL"])
    try:
        name = DEFAULT_POINTER.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ModelLoadError(
            f"{DEFAULT_POINTER} not found: no default model is set. Train one with "
            "`python -m training train --promote` or pass a model directory") from None
    return MODELS_DIR / name


def save_model(model, out_dir: str | Path, metadata: dict) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out / MODEL_FILE, compress=3)
    metadata = {**metadata, "format_version": FORMAT_VERSION, "libraries": library_versions()}
    (out / METADATA_FILE).write_text(json.dumps(metadata, ensure_ascii=False, indent=2) + "\n",
                                     encoding="utf-8")
    return out


def read_metadata(model_dir: str | Path) -> dict:
    path = Path(model_dir) / METADATA_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(
            f"{path} not found: {model_dir} is not a jinmyaku model directory "
            "(train one with `python -m training train`)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path} is corrupt ({exc}): retrain with `python -m training train`") from None


def load_model(model_dir: str | Path | None = None):
    """Load a RoleClassifier, refusing one built with another scikit-learn or artifact format."""
    from .model import RoleClassifier

    model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
    if not model_dir.is_dir():
        raise ModelLoadError(f"model directory {model_dir} does not exist: pass an existing "
                             "directory or train one with `python -m training train`")
    metadata = read_metadata(model_dir)
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(f"{model_dir / METADATA_FILE}: artifact format "
                             f"{metadata.get('format_version')} is not {FORMAT_VERSION}: "
                             "retrain with `python -m training train`")
    import sklearn
    trained_with = metadata.get("libraries", {}).get("scikit-learn")
    if trained_with != sklearn.__version__:
        raise ModelLoadError(
            f"{model_dir / MODEL_FILE} was trained with scikit-learn {trained_with}, but "
            f"{sklearn.__version__} is installed: retrain with `python -m training train` "
            f"or install scikit-learn=={trained_with}")
    path = model_dir / MODEL_FILE
    try:
        model = joblib.load(path)
    except FileNotFoundError:
        raise ModelLoadError(f"{path} not found: retrain with `python -m training train`") from None
    except Exception as exc:  # joblib raises many kinds on a damaged file
        raise ModelLoadError(f"{path} is corrupt or unreadable ({type(exc).__name__}: {exc}): "
                             "retrain with `python -m training train`") from None
    if not isinstance(model, RoleClassifier):
        raise ModelLoadError(f"{path} holds a {type(model).__name__}, not a RoleClassifier: "
                             "retrain with `python -m training train`")
    model.metadata_ = metadata
    return model
