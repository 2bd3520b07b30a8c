import json
import re
from pathlib import Path

import numpy as np
import pytest

import tasks
from mpc_jepa import data
from mpc_jepa.cli import build_parser, main
from mpc_jepa.evaluation import PlanSettings, evaluate, make_planner
from mpc_jepa.models import WorldModelConfig
from mpc_jepa.models.oracle import OracleModel
from mpc_jepa.training import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A directory with a small point_mass dataset and checkpoint at the CLI's default paths."""
    d = tmp_path_factory.mktemp("cli")
    ds = data.collect(
        tasks.load("point_mass", seed=0),
        d / "data/point_mass",
        episodes=30,
        episode_length=40,
        seed=0,
        progress=False,
    )
    train(
        ds,
        d / "runs/demo/point_mass.pt",
        TrainConfig(steps=60, batch_size=64, log_csv=False),
        WorldModelConfig(latent_dim=8, hidden=32),
        progress=False,
    )
    return d


def test_every_command_documents_its_options():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {
        "tasks",
        "collect",
        "train",
        "eval",
        "plan",
        "learn",
        "demo",
        "bench",
    }
    help_text = " ".join(sub.choices["eval"].format_help().split())
    for flag in ("--planner", "--episodes", "--json", "--model", "--horizon", "--num-samples"):
        assert flag in help_text
    assert "(default: 'cem')" in help_text


def test_tasks_and_collect_commands(tmp_path, capsys):
    assert main(["tasks"]) == 0
    assert "two_room" in capsys.readouterr().out
    assert (
        main(
            [
                "collect",
                "--task",
                "two_room",
                "--episodes",
                "3",
                "--episode-length",
                "10",
                "--out",
                str(tmp_path / "tr"),
            ]
        )
        == 0
    )
    assert "coverage" in capsys.readouterr().out
    assert data.Dataset(tmp_path / "tr").num_episodes == 3


def test_eval_json_has_stable_keys(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    out = workdir / "eval.json"
    assert (
        main(
            [
                "eval",
                "--task",
                "point_mass",
                "--checkpoint",
                "runs/demo/point_mass.pt",
                "--episodes",
                "2",
                "--num-samples",
                "32",
                "--num-iters",
                "2",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    res = json.loads(out.read_text())
    assert set(res["summary"]) == {
        "episodes",
        "success_rate",
        "mean_final_distance",
        "median_final_distance",
        "mean_start_distance",
        "median_ms_per_step",
        "mean_ms_per_step",
        "model_evals_per_step",
        "mean_steps",
        "mean_return",
        "std_return",
    }
    assert len(res["episodes"]) == 2 and res["summary"]["model_evals_per_step"] > 0
    episode_keys = {
        "success",
        "final_distance",
        "min_distance",
        "start_distance",
        "steps",
        "ms_per_step",
        "mean_ms_per_step",
        "model_evals_per_step",
        "seed",
        "task_id",
        "episode_return",
    }
    assert episode_keys == set(res["episodes"][0])


def test_plan_command_writes_a_video(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    assert (
        main(
            [
                "plan",
                "--task",
                "point_mass",
                "--checkpoint",
                "runs/demo/point_mass.pt",
                "--planner",
                "grad",
                "--grad-steps",
                "2",
                "--video",
                "runs/plan/ep.mp4",
            ]
        )
        == 0
    )
    written = list((workdir / "runs/plan").glob("ep.*"))
    assert written and written[0].stat().st_size > 1000


def test_readme_example_runs_verbatim(workdir, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(workdir)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["plan"].actions.shape == (1, 15, 2)
    assert namespace["obs"]["state"].shape == (4,)


def test_closed_loop_oracle_reaches_the_point_mass_goal():
    task = tasks.load("point_mass", seed=0)
    res = evaluate(
        task,
        OracleModel(task),
        PlanSettings.from_flags(planner="cem", num_samples=64, num_iters=2),
        episodes=1,
        seed=5,
        progress=False,
    )
    assert res["summary"]["success_rate"] == 1.0, res
    assert res["episodes"][0]["final_distance"] < res["episodes"][0]["start_distance"] / 5


def test_unknown_planner_and_model_are_named():
    task = tasks.load("point_mass")
    with pytest.raises(ValueError, match="'nope'"):
        make_planner("nope", OracleModel(task), PlanSettings())
    with pytest.raises(ValueError, match="differentiable"):
        make_planner("grad", OracleModel(task), PlanSettings())


def test_cli_reports_library_errors_as_one_line(workdir, monkeypatch, capsys):
    """Bad tasks, settings, checkpoints: one `error:` line naming the value, exit code 2, no
    traceback."""
    monkeypatch.chdir(workdir)
    Path("bad.pt").write_bytes(b"PK\x03\x04 cut short")
    cases = {
        ("eval", "--task", "pointmass", "--episodes", "1"): "unknown task 'pointmass'",
        ("eval", "--episodes", "-3"): "episodes must be >= 1, got -3",
        ("eval", "--model", "magic", "--episodes", "1"): "'magic'",
        ("eval", "--checkpoint", "bad.pt", "--episodes", "1"): "cannot read checkpoint 'bad.pt'",
        ("eval", "--horizon", "0", "--episodes", "1"): "horizon must be >= 1, got 0",
        ("collect", "--episodes", "-2"): "episodes must be >= 0 (0: the task's recipe), got -2",
    }
    for argv, message in cases.items():
        assert main(list(argv)) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and message in err and "\n" not in err, (argv, err)
    with pytest.raises(SystemExit) as exc:  # argparse: an unknown planner is not a choice
        main(["eval", "--planner", "nope"])
    assert exc.value.code == 2 and "'nope'" in capsys.readouterr().err


def test_fault_table_names_existing_tests():
    """docs/FAULTS.md: every test it cites exists (file::name or ::name after a file)."""
    text = (ROOT / "docs" / "FAULTS.md").read_text()
    cited = 0
    for row in (r for r in text.splitlines()[6:] if r.startswith("| ")):  # after the header
        current, names = None, 0
        for path, name in re.findall(r"`(tests/\w+\.py)?(?:::(\w+))?`", row):
            current = path or current
            if name:
                assert f"def {name}(" in (ROOT / current).read_text(), (current, name)
                cited, names = cited + 1, names + 1
        assert names or "pyproject.toml" in row, f"a fault row names no test: {row[:80]}"
    assert cited >= 40


def test_learned_distance_and_slow_level_from_the_command_line(workdir, monkeypatch, capsys):
    """train --level distance writes the learned distance alone: the landmark hierarchy and the
    learned goal metrics plan with it and no slow predictor file; train --level slow writes the
    slow predictor, which only --slow-level model reads."""
    import torch

    monkeypatch.chdir(workdir)
    common = ["--task", "point_mass", "--dataset", "data/point_mass", "--fast-checkpoint",
              "runs/demo/point_mass.pt"]  # fmt: skip
    distance = ["train", "--level", "distance", *common, "--out", "runs/distance.pt"]
    assert main([*distance, "--distance-steps", "30", "--distance-landmarks", "50"]) == 0
    assert "wrote runs/distance.pt" in capsys.readouterr().out
    saved = torch.load("runs/distance.pt", weights_only=True)
    assert saved["format"] == "mpc_jepa.distance/1" and saved["train_config"]["steps"] == 30
    assert len(saved["landmarks"]) == 50 and not Path("runs/slow.pt").exists()
    base = ["eval", "--task", "point_mass", "--checkpoint", "runs/demo/point_mass.pt",
            "--distance-checkpoint", "runs/distance.pt", "--episodes", "1"]  # fmt: skip
    small = ["--num-samples", "16", "--num-iters", "1"]
    slow = ["--slow-samples", "16", "--slow-iters", "1", "--slow-horizon", "2"]
    for metric in ("temporal", "graph"):  # no slow predictor anywhere
        assert main([*base, *small, "--goal-metric", metric]) == 0
    assert main([*base, *small, "--planner", "hierarchical"]) == 0  # landmark slow level
    assert "success" in capsys.readouterr().out
    assert main([*base, *small, *slow, "--goal-metric", "temporal"]) == 2  # flat CEM
    assert "--slow-horizon, --slow-iters, --slow-samples: not read by" in capsys.readouterr().err
    assert main([*base, *small, *slow, "--planner", "hierarchical"]) == 2
    assert "is a setting of slow_level='model'" in capsys.readouterr().err
    model_level = [*base, *small, *slow, "--planner", "hierarchical", "--slow-level", "model",
                   "--slow-checkpoint", "runs/slow.pt"]  # fmt: skip
    assert main(model_level) == 2
    assert "train --task point_mass --level slow" in capsys.readouterr().err
    slow_train = ["train", "--level", "slow", *common, "--out", "runs/slow.pt", "--steps", "20",
                  "--batch-size", "32", "--rollout-steps", "2"]  # fmt: skip
    assert main(slow_train) == 0
    assert "wrote runs/slow.pt" in capsys.readouterr().out
    assert "distance" not in torch.load("runs/slow.pt", weights_only=True)
    assert main(model_level) == 0
    assert "success" in capsys.readouterr().out
    assert main(["train", "--level", "medium", *common]) == 2
    assert (
        "error: level must be one of fast, slow, distance, value, actor, got 'medium'"
        in capsys.readouterr().err
    )


@pytest.mark.slow  # the whole demo: 90 s here
def test_demo_maps_the_filmed_goal_and_writes_strict_json(workdir, monkeypatch):
    """The map's star is the filmed episode's goal (episode 0), not the last evaluated one's; the
    results parse under a strict JSON parser (no NaN / Infinity)."""
    import mpc_jepa.apps.demo as demo

    monkeypatch.chdir(workdir)
    drawn = {}
    monkeypatch.setattr(
        demo,
        "plot_trajectories_on_map",
        lambda trajs, goal, *a, **k: drawn.update(goal=goal, trajs=trajs),
    )
    s = demo.DemoSettings(episodes=2, hierarchy=False, out="runs/demo_test")
    demo.run_demo(s)
    task = tasks.load("point_mass", seed=0)
    task.reset(seed=s.seed)
    filmed_goal = task.goal.physical
    task.reset(seed=s.seed + 1)
    assert np.linalg.norm(task.goal.physical - filmed_goal) > 0.01  # the bug would be visible
    np.testing.assert_allclose(drawn["goal"], filmed_goal)
    assert set(drawn["trajs"]) == {
        "cem (learned)",
        "grad (learned)",
        "gradcem (learned)",
        "cem (oracle)",
    }

    def refuse(constant):
        raise ValueError(f"non-strict JSON constant {constant}")

    res = json.loads((workdir / "runs/demo_test/results.json").read_text(), parse_constant=refuse)
    np.testing.assert_allclose(res["filmed"]["goal"], filmed_goal)
    assert res["results"]["cem/oracle"]["episodes"] == 2
