"""``ensure_models`` trains by the task's recipe: its latent size and step count."""

from __future__ import annotations

from dataclasses import replace

import tasks
from mpc_jepa.pipeline import ModelPaths, ensure_models
from mpc_jepa.pipeline import models as pipeline_models


def test_recipe_sets_latent_size_and_steps(tmp_path, monkeypatch):
    original = tasks.load

    def load(name, **kw):  # point_mass, with a recipe asking for a wider latent
        task = original(name, **kw)
        task.recipe = replace(task.recipe, collect_episodes=3, latent_dim=8, train_steps=7)
        return task

    monkeypatch.setattr(pipeline_models.tasks, "load", load)
    paths = ModelPaths(tmp_path / "data", tmp_path / "fast.pt", tmp_path / "slow.pt")
    _, fast, distance, slow = ensure_models("point_mass", paths, 3000, distance=False)
    assert fast.latent_dim == 8 and slow is None and distance is None
    assert fast.meta["train_config"]["steps"] == 7  # the recipe's steps win over the default


def test_ogbench_recipes_size_the_models_to_the_body():
    cube = tasks.load("ogbench:cube-single-play-v0", seed=0).recipe
    maze = tasks.load("ogbench:pointmaze-medium-navigate-v0", seed=0).recipe
    assert (cube.latent_dim, cube.train_steps, cube.landmarks) == (32, 5000, 2000)
    assert (maze.latent_dim, maze.train_steps, maze.landmarks) == (16, 0, 500)
    assert (cube.object_gain, maze.object_gain) == (0.3, 0.0)  # an object slot for the arm's cube
    assert maze.collect_episodes == 1000 and cube.collect_length == 1000  # OGBench's sizes kept


def test_train_command_fills_only_what_the_user_left_out():
    from mpc_jepa.cli import build_parser
    from mpc_jepa.cli.commands import recipe_defaults

    def defaults(*argv):
        args = build_parser().parse_args(["train", *argv])
        args.given = set(vars(build_parser(suppress=True).parse_args(["train", *argv])))
        return recipe_defaults(args)

    cube = "ogbench:cube-single-play-v0"
    assert defaults("--task", cube) == {
        "rollout_steps": 16,
        "latent_dim": 32,
        "hidden": 128,
        "object_gain": 0.3,
        "steps": 5000,
    }
    # given options win, abbreviated or not; a value equal to the default counts as given
    given = defaults("--task", cube, "--latent-dim", "16", "--rollout=4", "--object-gain", "0")
    assert given == {"hidden": 128, "steps": 5000}
    assert defaults("--level", "distance", "--task", cube) == {"distance_landmarks": 2000}
    assert defaults("--level", "slow", "--task", cube) == {}  # the slow predictor has no landmarks
    assert defaults("--task", cube, "--obs-type", "pixels") == {}  # pixel models keep theirs


def test_planner_options_left_out_come_from_the_recipe():
    from types import SimpleNamespace

    from mpc_jepa.cli import build_parser
    from mpc_jepa.cli.args import dataclass_from_args
    from mpc_jepa.evaluation import PlanSettings
    from mpc_jepa.pipeline.recipes import plan_with_recipe

    task = SimpleNamespace(recipe=tasks.TrainingRecipe(plan=(("horizon", 5), ("num_iters", 4))))

    def settings(*argv):
        args = build_parser().parse_args(["eval", *argv])
        given = set(vars(build_parser(suppress=True).parse_args(["eval", *argv])))
        return plan_with_recipe(dataclass_from_args(PlanSettings, args), given, task.recipe)

    ps = settings()
    assert (ps.horizon, ps.sampling.num_iters, ps.sampling.num_samples) == (5, 4, 128)
    ps = settings("--horizon", "15", "--num-samples", "64")
    assert (ps.horizon, ps.sampling.num_iters, ps.sampling.num_samples) == (15, 4, 64)


def test_learning_options_left_out_come_from_the_recipe():
    from mpc_jepa.cli import build_parser
    from mpc_jepa.cli.commands import learn_settings
    from mpc_jepa.evaluation import PlanSettings
    from mpc_jepa.pipeline.learn import LearnSettings

    cheetah = tasks.load("dmc:cheetah-run", objective="reward")

    def settings(*argv):
        argv = ["learn", "--task", "dmc:cheetah-run", *argv]
        args = build_parser().parse_args(argv)
        args.given = set(vars(build_parser(suppress=True).parse_args(argv)))
        return learn_settings(args, cheetah)

    s = settings()
    assert (s.reward_weight, s.renew_stats, s.eval_episodes, s.reach_weight) == (1.0, True, 10, 0)
    assert s.value_expectile == 0.5
    s = settings("--reward-weight", "0", "--eval-episodes", "5", "--reach-weight", "1",
                 "--value-expectile", "0.7")  # fmt: skip
    assert (s.reward_weight, s.renew_stats, s.eval_episodes, s.reach_weight) == (0.0, True, 5, 1)
    assert s.value_expectile == 0.7
    assert (cheetah.recipe.utd, cheetah.recipe.latent_dim) == (1.0, 32)  # read by with_recipe
    assert replace(s, latent_dim=0).with_recipe(cheetah.recipe).latent_dim == 32
    # every reward task's recipe names fields that exist (else a TypeError), with valid values
    for name in ("cheetah-run", "cartpole-swingup", "walker-walk"):
        recipe = tasks.load(f"dmc:{name}", objective="reward").recipe
        LearnSettings(**dict(recipe.learn))
        PlanSettings.from_flags(**dict(recipe.plan))


def test_a_killed_training_is_finished_not_reused(tmp_path, monkeypatch):
    from mpc_jepa.models.checkpoints import read_checkpoint
    from mpc_jepa.pipeline.collect import CollectSettings, run_collect
    from mpc_jepa.training import TrainConfig, train

    original = tasks.load

    def load(name, **kw):
        task = original(name, **kw)
        task.recipe = replace(task.recipe, collect_episodes=3, latent_dim=8, train_steps=12)
        return task

    monkeypatch.setattr(pipeline_models.tasks, "load", load)
    paths = ModelPaths(tmp_path / "data", tmp_path / "fast.pt", tmp_path / "slow.pt")
    ds = run_collect(CollectSettings(task="point_mass", out=str(paths.dataset), episodes=3), False)
    cfg = TrainConfig(steps=12, rollout_steps=load("point_mass").recipe.rollout_steps,
                      checkpoint_every=4)  # fmt: skip
    model_cfg = pipeline_models.WorldModelConfig(latent_dim=8)
    train(ds, paths.fast, cfg, model_cfg, progress=False, stop_after=4)  # "killed" at step 4
    assert read_checkpoint(paths.fast)["train_state"]["step"] == 4
    fast = ensure_models("point_mass", paths, distance=False).fast
    assert read_checkpoint(paths.fast).get("train_state") is None  # finished: a final checkpoint
    assert fast.meta["step"] == 12
