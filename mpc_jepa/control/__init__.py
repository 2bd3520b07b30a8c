"""The agent's loop: a controller (planner + cost + short-term memory) and the episode runner."""

from mpc_jepa.control.actor import ActorController
from mpc_jepa.control.actor_prior import ActorPrior
from mpc_jepa.control.controller import MPCController
from mpc_jepa.control.counting import CountingModel
from mpc_jepa.control.episode import EpisodeResult, run_episode, run_episodes
from mpc_jepa.control.observers import FrameStack, Observer, as_observer, observe_physics
from mpc_jepa.control.recorder import InfoRecorder

__all__ = [
    "ActorPrior",
    "ActorController",
    "CountingModel",
    "EpisodeResult",
    "FrameStack",
    "InfoRecorder",
    "MPCController",
    "observe_physics",
    "Observer",
    "as_observer",
    "run_episode",
    "run_episodes",
]
