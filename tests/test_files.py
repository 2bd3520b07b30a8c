"""Files the toolkit writes: strict JSON, atomic replacement."""

import json
import math

import numpy as np
import pytest
import torch

from mpc_jepa.files import atomic_write, dumps_json, write_json


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_become_null_and_arrays_lists(tmp_path):
    obj = {
        "nan": float("nan"),
        "inf": -math.inf,
        "f32": np.float32(0.5),
        "arr": np.array([1.0, np.nan]),
        "t": torch.tensor([2.0]),
        3: (True, None),
    }
    out = _strict(write_json(tmp_path / "x.json", obj).read_text())
    assert out == {
        "nan": None,
        "inf": None,
        "f32": 0.5,
        "arr": [1.0, None],
        "t": [2.0],
        "3": [True, None],
    }
    with pytest.raises(ValueError, match="non-strict"):
        _strict(json.dumps({"a": float("nan")}))  # what json.dumps writes by default
    assert _strict(dumps_json([float("inf")])) == [None]


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")

    def fail(f):
        f.write(b"half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]
