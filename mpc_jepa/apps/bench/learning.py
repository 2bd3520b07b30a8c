"""Section learning: learning by acting on dm-control's reward tasks, return at 100k environment
steps beside the published TD-MPC2 / DreamerV3 / SAC figures.

Each (task, seed) is one ``mpc-jepa learn`` run at its default path
(``runs/learn/<task>/seed<k>/``), so a run started from the command line is continued here and the
other way round; a finished run is only read back. Hours per run on a CPU: run it in the
background (``make bench-learning``); killed, it resumes where it stopped.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import tasks
from mpc_jepa.apps.bench.common import check_known, save_section, stored_section
from mpc_jepa.apps.bench.settings import BenchSettings
from mpc_jepa.evaluation import PlanSettings
from mpc_jepa.pipeline.learn import LearnSettings, run_learn
from mpc_jepa.pipeline.learn_curve import PUBLISHED_100K, plot_curves, suite_name

LEARNING_RUNS = {  # suite task: seeds (the protocol: 2 seeds, 1 for the two longest)
    "dmc:pendulum-swingup": (0, 1),
    "dmc:cartpole-swingup": (0, 1),
    "dmc:cheetah-run": (0, 1),
    "dmc:reacher-hard": (0,),
    "dmc:walker-walk": (0,),
}


def bench_learning(s: BenchSettings) -> dict:
    """Every asked task's runs (resumed or read back): a row per task, the curves in a plot. The
    section is stored after every run (hours each), so RESULTS.md can be rebuilt meanwhile
    (``mpc_jepa.apps.bench.write_results``)."""
    names = check_known(s.learning_tasks, LEARNING_RUNS, "learning task")
    old = stored_section(s.out, "learning")
    payload = {
        "command": "mpc-jepa bench --sections learning  (or: mpc-jepa learn --task T --seed k)",
        "protocol": bench_protocol(),
        "notes": old.get("notes", []),
        "rows": dict(old.get("rows", {})),
        "curves": dict(old.get("curves", {})),
    }
    for task in names:
        for seed in s.learning_seeds or LEARNING_RUNS[task]:
            recipe = tasks.load(task, objective="reward").recipe
            ls = replace(  # the recipe's settings, then the bench's own
                LearnSettings(**dict(recipe.learn)),
                task=task,
                env_steps=s.learning_env_steps,
                seed=seed,
                resume=True,
            )
            plan = PlanSettings.from_flags(**dict(recipe.plan))
            curve = run_learn(ls, plan, progress=False)
            payload["curves"].setdefault(task, {})[str(seed)] = curve
            payload["rows"][task] = _row(task, payload["curves"][task])
            print(f"learning {task} seed {seed}: {curve[-1]}", flush=True)
            plot_curves(payload["curves"], Path(s.out) / "learning.png")
            save_section(Path(s.out), "learning", payload)
    return payload


def bench_protocol() -> str:
    """The section's protocol line (RESULTS.md)."""
    return (
        "noise-free evaluation episodes (the task recipe's number, a column) every "
        f"{LearnSettings.eval_every} environment steps; return at the last point"
    )


def _recipe_settings(task: str) -> LearnSettings:
    """The learn settings of ``task``'s recipe (tasks.TrainingRecipe), defaults elsewhere."""
    return LearnSettings(**dict(tasks.load(task, objective="reward").recipe.learn))


def _row(task: str, curves: dict) -> dict:
    """A task's table row from its runs' curves ({seed: rows})."""
    finals = [c[-1] for c in curves.values()]
    return {
        "seeds": len(finals),
        "eval_episodes": _recipe_settings(task).eval_episodes,
        "env_steps": min(f["env_steps"] for f in finals),
        "returns": [f["mean_return"] for f in finals],
        "mean_return": sum(f["mean_return"] for f in finals) / len(finals),
        "wall_hours": [f["wall_seconds"] / 3600 for f in finals],
        "published_100k": PUBLISHED_100K.get(suite_name(task), {}),
    }


def learning_table(r: dict, section) -> list[str]:
    """RESULTS.md's learning table (``section`` writes the heading)."""
    names = ("TD-MPC2", "DreamerV3", "SAC")
    intro = (
        f"Protocol: {r['protocol']}. Published: mean return at 100k environment steps, 3 seeds, "
        "state observations. Wall hours: one torch thread on this machine, sharing it with other "
        "runs. ![learning curves](learning.png)",
    )
    cols = ["task", "env steps", "seeds", "episodes per point", "return per seed", "mean", *names,
            "wall h per run"]  # fmt: skip
    parts = section("Learning by acting: return at 100k environment steps", r, cols,
                    (*intro, *r.get("notes", ())))  # fmt: skip
    for k, v in r["rows"].items():
        published = " | ".join(str(v["published_100k"].get(n, "")) for n in names)
        parts.append(
            f"| {k} | {v['env_steps']:.0f} | {v['seeds']} | {v.get('eval_episodes', '')} | "
            f"{' / '.join(f'{x:.0f}' for x in v['returns'])} | {v['mean_return']:.0f} | "
            f"{published} | {' / '.join(f'{h:.2f}' for h in v['wall_hours'])} |"
        )
    return [*parts, ""]
