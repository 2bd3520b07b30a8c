"""RESULTS.md's sections, one table writer each (``report.write_results`` joins them)."""

from __future__ import annotations

from mpc_jepa.apps.bench.contact import contact_table
from mpc_jepa.apps.bench.learning import learning_table
from mpc_jepa.apps.bench.ogbench import ogbench_table


def eval_cells(v: dict, mean_ms: bool = False) -> str:
    """Table cells of an evaluation summary: success, final and start distance, ms/step, model
    evals/step."""
    ms = f"{v['median_ms_per_step']:.1f}"
    if mean_ms:
        ms += " | n/a" if v.get("mean_ms_per_step") is None else f" | {v['mean_ms_per_step']:.1f}"
    return (
        f"{v['success_rate']:.0%} | {v['mean_final_distance']:.4f} | "
        f"{v['mean_start_distance']:.4f} | {ms} | {v['model_evals_per_step']:.0f}"
    )


def section(title: str, r: dict, columns: list[str], intro: tuple[str, ...] = ()) -> list[str]:
    """Markdown heading, the section's command and machine, optional intro lines, and a table
    header."""
    lines = [
        f"## {title}",
        "",
        f"Command: `{r['command']}`  ",
        f"Machine: {r['machine']}, {r['date']}",
        "",
    ]
    for line in intro:
        lines += [line, ""]
    return lines + ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def data_table(r: dict) -> list[str]:
    """RESULTS.md's data section."""
    parts: list[str] = []
    parts += section(
        "Datasets: exploration coverage and collection speed",
        r,
        ["dataset", "frames", "coverage of a 10x10 grid", "frames/s"],
    )
    for k, v in r["rows"].items():
        cov = "n/a" if v["coverage_10x10"] is None else f"{v['coverage_10x10']:.0%}"
        parts.append(f"| {k} | {v['frames']} | {cov} | {v['frames_per_second']:.0f} |")
    parts.append("")
    return parts


def world_model_table(r: dict) -> list[str]:
    """RESULTS.md's world model section."""
    parts: list[str] = []
    intro = (
        "Prediction error = open-loop latent MSE at horizon k on held-out episodes / MSE of "
        "the copy baseline (z_{t+k} = z_t).",
    )
    cols = [
        "task",
        "train s",
        "steps/s",
        "h1",
        "h5",
        "h10",
        "h20",
        "std min/mean",
        "eff. rank",
        "probe R^2",
        "Spearman(latent, physical dist.)",
    ]
    parts += section("World model (state observations, default config)", r, cols, intro)
    for k, v in r["rows"].items():
        hs = " | ".join(f"{v.get(f'pred_ratio_h{h}', float('nan')):.3f}" for h in (1, 5, 10, 20))
        parts.append(
            f"| {k} | {v['train_seconds']:.0f} | {v['steps_per_second']:.0f} | {hs} | "
            f"{v['std_min_over_mean']:.2f} | {v['effective_rank']:.1f}/{v['latent_dim']} | {v['probe_r2']:.3f} | {v['distance_spearman']:.2f} |"
        )
    parts.append("")
    return parts


def anti_collapse_table(r: dict) -> list[str]:
    """RESULTS.md's anti collapse section."""
    parts: list[str] = []
    cols = [
        "variant",
        "h1",
        "h20",
        "std min/mean",
        "eff. rank",
        "probe R^2",
        "Spearman",
        "CEM success",
        "CEM final dist. (m)",
    ]
    parts += section("Anti-collapse modes and latent geometry (point_mass)", r, cols)
    for k, v in r["rows"].items():
        parts.append(
            f"| {k} | {v['pred_ratio_h1']:.3f} | {v['pred_ratio_h20']:.3f} | "
            f"{v['std_min_over_mean']:.2f} | {v['effective_rank']:.1f}/{v['latent_dim']} | {v['probe_r2']:.3f} | {v['distance_spearman']:.2f} | {v['cem_success']:.0%} ({v['episodes']} ep.) | {v['cem_final_distance']:.3f} |"
        )
    parts.append("")
    return parts


def planning_table(r: dict) -> list[str]:
    """RESULTS.md's planning section."""
    parts: list[str] = []
    cols = [
        "task / planner / model",
        "success",
        "mean final dist.",
        "mean start dist.",
        "median ms/step",
        "model evals/step",
    ]
    intro = (
        f"Planner settings: `{r['settings']}`",
        *r.get("notes", ()),
        "', compiled': the learned model's rollouts run through `torch.compile` (`--compile`; "
        "one-off compilation ~70 s cold, seconds from inductor's on-disk cache, not in the per-step times). 'grad, 1 Adam step x R restarts': the gradient planner as a real-time iteration, one Adam step per control step from the previous plan (restart 0) and R - 1 random restarts around it (`--grad-steps 1 --grad-restarts R`).",
    )
    parts += section("Closed-loop planning (state observations)", r, cols, intro)
    for k, v in r["rows"].items():
        parts.append(f"| {k} | {eval_cells(v)} |")
    parts.append("")
    return parts


def peers_table(r: dict) -> list[str]:
    """RESULTS.md's peers section."""
    parts: list[str] = []
    intro = (
        "Same model, cost (uniform + terminal latent L2), start states and goals; budgets "
        f"matched to our iCEM's counted {r['budget_evals']} model evaluations per plan (peers: same population per iteration and iterations; pytorch_mppi: one iteration with the whole budget). Cost = our cost of the returned plan under the model (lower is better), mean over {r['problems']} problems.",
        "Rows ending in ', compiled model': every planner, ours and the peers', calls the "
        "same model with its `rollout` and `predict` compiled by `torch.compile` (`mpc_jepa.models.compiled.CompiledModel`, `--compile`); the one-off compilation is outside the median. 'model rollouts alone': the rollout batches of one of our iCEM plans, timed without the planner (the floor any planner spending this budget in these batches pays).",
    )
    parts += section(
        "Planners side by side with mbrl-lib and pytorch_mppi",
        r,
        ["planner", "median ms per plan", "mean cost", "model evals per plan"],
        intro,
    )
    for k, v in r["rows"].items():
        cost = "n/a" if v["mean_cost"] is None else f"{v['mean_cost']:.3f}"
        parts.append(f"| {k} | {v['ms_per_plan']:.1f} | {cost} | {v['model_evals_per_plan']:.0f} |")
    parts.append("")
    return parts


def hierarchy_table(r: dict) -> list[str]:
    """RESULTS.md's hierarchy section."""
    parts: list[str] = []
    intro = (
        f"Slow level settings: `{r['settings']}`. two_room: every episode starts in one room "
        "with its goal in the other; maze: in one outer corridor with its goal in the other. Model evaluations count fast and slow predictor steps (not the temporal-distance metric's MLP or the landmark graph, whose cost is in the timings). processes: episodes shared by that many processes of one torch thread each (1: one process, all threads); batch: episodes advanced together in one plan call per step; episodes/s: the row's wall clock (n/a: rows from before session 10).",
    )
    cols = [
        "task / planner",
        "episodes",
        "success",
        "mean final dist.",
        "mean start dist.",
        "median ms/step",
        "mean ms/step",
        "model evals/step",
        "processes",
        "batch",
        "episodes/s",
    ]
    parts += section("Hierarchical vs flat planning", r, cols, (*intro, *r.get("notes", ())))
    for k, v in r["rows"].items():
        eps = v.get("episodes_per_second")
        parts.append(
            f"| {k} | {v['episodes']} | {eval_cells(v, mean_ms=True)} | "
            f"{v.get('workers', 1)} | {v.get('batch', 1)} | "
            f"{'n/a' if eps is None else f'{eps:.3f}'} |"
        )
    parts.append("")
    return parts


def pixels_table(r: dict) -> list[str]:
    """RESULTS.md's pixels section."""
    parts: list[str] = []
    intro = (
        "point_mass from 64x64 images with 2-frame history (`KeypointEncoder`); goals are "
        "images, the cost is the embedding distance to the goal image's. Training on this machine's CPU for the CPU configuration; the GPU configuration was trained on one H200 (`--device cuda`) and evaluated here. The oracle row is the same planner on the true physics.",
    )
    cols = [
        "configuration",
        "success",
        "mean final dist.",
        "mean start dist.",
        "median ms/step",
        "model evals/step",
        "train steps",
        "steps/s",
        "h1",
        "h20",
        "eff. rank",
        "probe R^2",
        "Spearman",
    ]
    parts += section("Planning from pixels (point_mass)", r, cols, (*intro, *r.get("notes", ())))
    for k, v in r["rows"].items():
        t = v.get("train")
        extra = (
            " | ".join(["n/a"] * 7)
            if t is None
            else (
                f"{v['train_steps']} | "
                f"{'n/a' if t['steps_per_second'] is None else format(t['steps_per_second'], '.1f')} | {t['pred_ratio_h1']:.3f} | {t['pred_ratio_h20']:.3f} | {t['effective_rank']:.1f}/{t['latent_dim']} | {t['probe_r2']:.3f} | {t['distance_spearman']:.2f}"
            )
        )
        parts.append(f"| {k} | {eval_cells(v)} | {extra} |")
    parts.append("")
    for k, v in r["rows"].items():
        if "command" in v:
            parts.append(
                f"- {k}: `{v['command']}`"
                + (
                    f"; collection {v['frames_per_second']:.0f} frames/s"
                    if v.get("frames_per_second")
                    else ""
                )
            )
    parts.append("")
    return parts


def throughput_table(r: dict) -> list[str]:
    """RESULTS.md's throughput section."""
    parts: list[str] = []
    intro = (
        "One process, all torch threads; each run evaluates the same 64 seeded episodes. '--batch N': N episodes advance together and are planned in one call per control step, each with its own goal, warm start and noise seeds (`control.run_episodes`).",
    )
    cols = [
        "run",
        "episodes",
        "wall s",
        "episodes/s",
        "speed-up",
        "success",
        "same success as sequential",
        "max final-distance difference",
    ]
    parts += section("Batched evaluation (throughput)", r, cols, intro)
    for k, v in r["rows"].items():
        parts.append(
            f"| {k} | {v['episodes']} | {v['wall_s']:.1f} | {v['episodes_per_second']:.2f} | {v['speedup']:.2f}x | {v['success_rate']:.0%} | {v['same_success_as_sequential']} | {v['max_final_distance_difference']:.1e} |"
        )
    parts.append("")
    return parts


def scale_table(r: dict) -> list[str]:
    """RESULTS.md's scale section."""
    parts: list[str] = []
    intro = (
        "Global batch 256 in both runs (each of 2 ranks loads 128 windows); 2 cores, so 2 "
        "processes share the same compute.",
    )
    parts += section(
        "Scaling out: DDP training and sharded evaluation",
        r,
        ["training", "wall s", "steps/s", "held-out pred/copy h5"],
        intro,
    )
    for k, v in r["train"].items():
        parts.append(
            f"| {k} | {v['wall_s']:.1f} | {v['steps_per_second']:.1f} | {v['pred_ratio_h5']:.3f} |"
        )
    parts += ["", "| evaluation | wall s (incl. start-up) | success |", "|---|---|---|"]
    for k, v in r["eval"].items():
        parts.append(f"| {k} | {v['wall_s']:.1f} | {v['success_rate']:.0%} |")
    parts += [
        "",
        "Per-episode results of `--workers 2` identical to the 1-thread sequential run "
        f"(timings excepted): {r['sharded_equals_sequential']}",
        "",
    ]
    return parts


def anytime_table(r: dict) -> list[str]:
    """The anytime table: each planner's best mean cost within each budget per plan."""
    budgets = list(next(iter(r["curves"].values())))
    intro = (
        f"Mean cost (our cost under the model, lower is better) over {r['problems']} problems that each planner reaches within a wall-clock budget per plan: the best of its rungs whose median time fits; '-': even its smallest rung is slower. ![anytime curves](anytime.png)",
    )
    parts = section(
        "Anytime: cost within a time budget per plan",
        r,
        ["planner", *[f"{b} ms" for b in budgets]],
        intro,
    )
    for name, curve in r["curves"].items():
        parts.append(
            f"| {name} | "
            + " | ".join("-" if c is None else f"{c:.3f}" for c in curve.values())
            + " |"
        )
    return [*parts, ""]


def ogbench_section(r: dict) -> list[str]:
    """RESULTS.md's OGBench section."""
    return ogbench_table(r, section)


def contact_section(r: dict) -> list[str]:
    """RESULTS.md's contact section."""
    return contact_table(r, section)


def learning_section(r: dict) -> list[str]:
    """RESULTS.md's learning section."""
    return learning_table(r, section)


SECTION_TABLES = {
    "data": data_table,
    "world_model": world_model_table,
    "anti_collapse": anti_collapse_table,
    "planning": planning_table,
    "peers": peers_table,
    "anytime": anytime_table,
    "hierarchy": hierarchy_table,
    "pixels": pixels_table,
    "throughput": throughput_table,
    "scale": scale_table,
    "ogbench": ogbench_section,
    "contact": contact_section,
    "learning": learning_section,
}
"""Stored section name -> its table writer, in RESULTS.md's order."""
