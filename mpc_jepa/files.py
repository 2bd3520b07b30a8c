"""Files the toolkit writes: atomically (temp file, fsync, rename) and, for JSON, strictly.

A crash or Ctrl-C never leaves a half-written file at the target path. JSON is written without
NaN or Infinity (strict parsers refuse them): non-finite floats become ``null``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(f)`` on a temp file beside ``path``, fsync it, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None and numpy / torch scalars as floats."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (bool, int, str)) or obj is None:
        return obj
    if hasattr(obj, "tolist"):  # numpy arrays and scalars, torch tensors (files imports neither)
        return json_safe(obj.tolist())
    value = float(obj)
    return value if math.isfinite(value) else None


def dumps_json(obj: Any) -> str:
    """Strict JSON text of ``obj`` (indented; NaN and Infinity written as null)."""
    return json.dumps(json_safe(obj), indent=2, allow_nan=False)


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as strict JSON to ``path``, atomically."""
    text = dumps_json(obj).encode()
    return atomic_write(path, lambda f: f.write(text))
