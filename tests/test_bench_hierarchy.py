"""The hierarchy section stores every finished row at once: a killed run keeps them."""

import json

import pytest

from mpc_jepa.apps.bench import hierarchy
from mpc_jepa.apps.bench.settings import BenchSettings


def test_rows_are_stored_as_they_finish_and_old_rows_kept(tmp_path, monkeypatch):
    (tmp_path / "results").mkdir()
    old = {"rows": {"two_room / flat CEM, default": {"success_rate": 0.3}}, "notes": ["n"]}
    (tmp_path / "results" / "hierarchy.json").write_text(json.dumps(old))

    def rows(name, labels, s):
        yield f"{name} / {labels[0]}", {"success_rate": 1.0, "episodes_per_second": 0.5}
        raise KeyboardInterrupt  # killed during the second row

    monkeypatch.setattr(hierarchy, "_case_rows", rows)
    s = BenchSettings(out=str(tmp_path), hierarchy_tasks=("maze",))
    with pytest.raises(KeyboardInterrupt):
        hierarchy.bench_hierarchy(s)
    stored = json.loads((tmp_path / "results" / "hierarchy.json").read_text())
    label = next(iter(hierarchy.HIERARCHY_RUNS))
    assert stored["rows"][f"maze / {label}"]["success_rate"] == 1.0
    assert stored["rows"]["two_room / flat CEM, default"]["success_rate"] == 0.3
    assert stored["notes"] == ["n"] and "machine" in stored
