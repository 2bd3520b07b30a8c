"""Trajectory datasets: collection, the on-disk format, window sampling, embedding."""

from mpc_jepa.data.collect import collect, coverage
from mpc_jepa.data.dataset import Dataset, DatasetError, WindowSampler, episode_ends
from mpc_jepa.data.embedding import embed_rows
from mpc_jepa.data.exploration import ExplorationConfig, exploration_actions
from mpc_jepa.data.npz_import import import_npz
from mpc_jepa.data.observations import history_of, history_rows, obs_key, obs_tensor

__all__ = [
    "Dataset",
    "DatasetError",
    "ExplorationConfig",
    "WindowSampler",
    "collect",
    "coverage",
    "embed_rows",
    "episode_ends",
    "exploration_actions",
    "history_of",
    "import_npz",
    "history_rows",
    "obs_key",
    "obs_tensor",
]
