"""World models: encoders, predictor, the JEPA world model and the oracle (true physics)."""

from mpc_jepa.models.encoders import CNNEncoder, MLPEncoder, Normalizer
from mpc_jepa.models.predictor import Predictor
from mpc_jepa.models.world_model import JEPAWorldModel, WorldModelConfig

__all__ = ["CNNEncoder", "MLPEncoder", "Normalizer", "Predictor", "JEPAWorldModel", "WorldModelConfig"]
