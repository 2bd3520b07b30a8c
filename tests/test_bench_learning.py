"""The learning section's rows: returns per seed, their mean, the recipe's episodes per point."""

from mpc_jepa.apps.bench import learning
from mpc_jepa.apps.bench.tables import section as _section


def _curve(final: float) -> list[dict]:
    return [
        {"env_steps": 5000, "mean_return": 1.0, "wall_seconds": 0.0},
        {"env_steps": 100000, "mean_return": final, "wall_seconds": 7200.0},
    ]


def test_row_reads_each_seed_final_point_and_the_recipe_episodes():
    row = learning._row("dmc:cheetah-run", {"0": _curve(500.0), "1": _curve(400.0)})
    assert row["returns"] == [500.0, 400.0] and row["mean_return"] == 450.0
    assert row["wall_hours"] == [2.0, 2.0] and row["env_steps"] == 100000
    assert row["eval_episodes"] == 10  # cheetah-run's recipe, not the default 5
    assert learning._row("dmc:pendulum-swingup", {"0": _curve(800.0)})["eval_episodes"] == 5
    assert row["published_100k"]["TD-MPC2"] == 519


def test_table_has_one_line_per_task_with_its_episodes():
    r = {
        "command": "c",
        "machine": "m",
        "date": "d",
        "protocol": "p",
        "rows": {"dmc:cheetah-run": learning._row("dmc:cheetah-run", {"0": _curve(500.0)})},
    }
    lines = learning.learning_table(r, _section)
    header = next(line for line in lines if line.startswith("| task"))
    row = next(line for line in lines if line.startswith("| dmc:cheetah-run"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert len(cells) == header.count("|") - 1
    assert cells[3] == "10" and cells[4] == "500" and cells[6] == "519"
