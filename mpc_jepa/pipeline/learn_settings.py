"""``LearnSettings``: the settings of a learning-by-acting run (``mpc-jepa learn``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from mpc_jepa.pipeline.paths import slug
from mpc_jepa.training.value import ValueTrainConfig


@dataclass(frozen=True)
class LearnSettings:
    """A learning-by-acting run."""

    task: str = "dmc:cartpole-swingup"
    """A dm-control suite task, scored by its reward (``@reward`` is implied)."""
    env_steps: int = 100000
    """Environment (physics) steps to collect in all."""
    seed_episodes: int = 5
    """Exploration episodes before the planner acts."""
    utd: float = 0.0
    """Gradient steps of the world model (and of the heads) per agent step in the data (0: the
    task's recipe)."""
    noise: float = 0.3
    """Std of the Gaussian noise added to the planner's actions while collecting."""
    eval_every: int = 10000
    """Environment steps between points of the learning curve."""
    eval_episodes: int = 5
    """Episodes per point (planned in one batch, no noise)."""
    rollout_steps: int = 5
    """Open-loop steps of the world model's prediction loss."""
    latent_dim: int = 0
    """The world model's embedding size (0: the task's recipe; a body with contacts needs more
    than a point)."""
    hidden: int = 0
    """Hidden width of the world model's encoder and predictor (0: the task's recipe)."""
    reach_weight: float = 1.0
    """Weight of the world model's reachability geometry (latent distance ~ steps to go, which
    goal costs read; the return cost does not: 0 drops it)."""
    reward_weight: float = 0.0
    """Weight of the world model's own reward head on its predicted latents (shapes the latent
    with the reward, as TD-MPC2 does; 0 keeps the JEPA reward-free)."""
    value_weight: float = 0.0
    """Weight of the world model's own TD critic on its predicted latents (TD-MPC2's value
    shaping; 0 keeps the JEPA reward-free)."""
    value_expectile: float = ValueTrainConfig.expectile
    """Expectile tau of the planning critic's loss (0.5: the value of the policies in the data;
    toward 1: the best continuations seen, which a planner exploits)."""
    q_critic: bool = False
    """Planning critics Q(z, a) trained by Q-learning against the policy prior (TD-MPC2's)
    instead of V(z) by expectile regression on the data's own continuations."""
    renew_stats: bool = False
    """Renew the encoder's input statistics from the whole dataset before each round of updates
    (its function unchanged); otherwise they stay those of the exploration episodes."""
    out: str = ""
    """Run directory (default: runs/learn/<task>/seed<seed>)."""
    seed: int = 0
    """Seeds exploration, planner noise, models and batches."""
    resume: bool = False
    """Continue the run in --out where it stopped."""
    device: str = "cpu"
    """Torch device."""

    def __post_init__(self):
        for name in ("env_steps", "eval_every", "eval_episodes", "rollout_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.seed_episodes < 2:
            raise ValueError(
                f"seed_episodes must be >= 2 (one is held out), got {self.seed_episodes}"
            )
        for name in (
            "latent_dim",
            "hidden",
            "utd",
            "noise",
            "reach_weight",
            "reward_weight",
            "value_weight",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0.5 <= self.value_expectile < 1:
            raise ValueError(f"value_expectile must be in [0.5, 1), got {self.value_expectile}")

    def with_recipe(self, recipe) -> LearnSettings:
        """The settings left at 0 filled from the task's ``TrainingRecipe``."""
        return replace(
            self,
            latent_dim=self.latent_dim or recipe.latent_dim,
            hidden=self.hidden or recipe.hidden,
            utd=self.utd or recipe.utd,
        )

    def directory(self) -> Path:
        return (
            Path(self.out)
            if self.out
            else Path("runs/learn") / slug(self.task) / f"seed{self.seed}"
        )
