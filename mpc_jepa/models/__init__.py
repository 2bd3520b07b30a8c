"""World models: encoders, predictor, the JEPA world model and the oracle (true physics)."""

from mpc_jepa.models.encoders import CNNEncoder, KeypointEncoder, MLPEncoder, Normalizer
from mpc_jepa.models.predictor import Predictor
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig

__all__ = [
    "CNNEncoder",
    "KeypointEncoder",
    "MLPEncoder",
    "Normalizer",
    "Predictor",
    "JEPAWorldModel",
    "WorldModelConfig",
]
