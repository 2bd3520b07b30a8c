"""mpc_jepa: model-predictive planning with JEPA world models."""

__version__ = "0.1.0"
