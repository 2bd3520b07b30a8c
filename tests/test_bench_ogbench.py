"""The OGBench bench section resumes from stored episodes and reports beside the baselines."""

from __future__ import annotations

import json
from dataclasses import asdict
from types import SimpleNamespace

import pytest

from mpc_jepa.apps.bench import ogbench as section
from mpc_jepa.apps.bench.report import write_results
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.evaluation import PlanSettings, summarize
from mpc_jepa.files import write_json
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig


def _episode(i: int) -> dict:
    return {
        "success": (i % 5) % 2 == 0,  # tasks 1, 3, 5 succeed
        "final_distance": 0.5,
        "min_distance": 0.5,
        "start_distance": 9.0,
        "steps": 100 + i,
        "ms_per_step": 5.0,
        "mean_ms_per_step": 6.0,
        "model_evals_per_step": 10.0,
        "seed": 100000 + i,
        "task_id": 1 + i % 5,
    }


def test_resume_runs_only_missing_episodes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    calls = []

    def killed(total, indices):
        calls.append(list(indices))
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed during the second batch
        return {"episodes": [_episode(i) for i in indices]}

    def run(total, indices):
        calls.append(list(indices))
        return {"episodes": [_episode(i) for i in indices]}

    task = SimpleNamespace(num_tasks=5)
    s = BenchSettings(ogbench_episodes=2, ogbench_batch=4)
    ps = asdict(PlanSettings.from_flags(planner="cem", goal_metric="graph"))
    with pytest.raises(KeyboardInterrupt):
        section._resume(task, killed, ps, "d", "flat CEM", s)
    assert calls == [[0, 1, 2, 3], [4, 5, 6, 7]]
    calls.clear()
    episodes = section._resume(task, run, ps, "d", "flat CEM", s)
    assert calls == [[4, 5, 6, 7], [8, 9]]  # the first batch was stored: not run again
    assert [e["seed"] for e in episodes] == [100000 + i for i in range(10)]
    other = asdict(PlanSettings(planner="cem"))  # other settings: nothing reused
    calls.clear()
    section._resume(task, run, other, "d", "flat CEM", s)
    assert calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_a_retrained_model_reruns_its_rows(tmp_path, monkeypatch):
    """Stored episodes carry the fast model's fingerprint: another model's are not read back."""
    monkeypatch.chdir(tmp_path)
    task = SimpleNamespace(num_tasks=1)
    s = BenchSettings(ogbench_episodes=2, ogbench_batch=2)
    ps = PlanSettings(planner="cem")
    calls = []

    def run(total, chunk):
        calls.append(list(chunk))
        return {"episodes": [{"success": True} for _ in chunk]}

    models = [JEPAWorldModel.build(WorldModelConfig(latent_dim=4, hidden=8), 3, 2) for _ in "ab"]
    for model in (models[0], models[0], models[1]):
        section._resume(task, run, section.run_settings(ps, model), "d", "flat CEM", s)
    assert calls == [[0, 1], [0, 1]]  # the same model's episodes were read back, not the other's


def test_report_table_has_baselines_and_per_task_success(tmp_path):
    summary = summarize([_episode(i) for i in range(10)])
    payload = {
        "command": "mpc-jepa bench --sections ogbench",
        "protocol": "5 tasks",
        "published": {d: dict(zip(section.BASELINES, v)) for d, v in section.PUBLISHED.items()},
        "rows": {
            "pointmaze-medium-navigate-v0 / flat CEM, graph cost": {
                **summary,
                "train_seconds": 600.0,
            },
            f"cube-single-play-v0 / {section.PRIOR_RUN}": {
                **summary,
                "train_seconds": 600.0,
                "versus_actor": section.versus(
                    [True, False, False, True], [True, True, False, False]
                ),
            },
        },
        "machine": "test",
        "date": "2026-12-04",
    }
    write_json(tmp_path / "results" / "ogbench.json", payload)
    text = write_results(tmp_path).read_text()
    row = next(line for line in text.splitlines() if line.startswith("| pointmaze-medium"))
    assert "| 10 | 60% | 100% 0% 100% 0% 100% | 9 | 63 | 53 | 82 | 29 | 79 | 10 |" in row
    assert json.loads((tmp_path / "results" / "ogbench.json").read_text())["rows"]
    prior = next(line for line in text.splitlines() if section.PRIOR_RUN in line)
    assert prior.endswith("| 1 / 1 |")  # fixed one episode, broke one


def test_planning_against_the_actor_alone_per_episode():
    alone, planned = [True, True, False, False, True], [True, False, True, False, True]
    assert section.versus(alone, planned) == {"both": 2, "fixed": 1, "broke": 1, "neither": 1}
    with pytest.raises(ValueError, match="5 episodes of the actor alone, 4 planned"):
        section.versus(alone, planned[:4])
