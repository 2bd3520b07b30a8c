"""A task's learned goal distance: the temporal-distance metric, its landmark graph and the object
readout, together.

Trained and stored on their own (``mpc-jepa train --level distance`` -> ``runs/<task>/distance.pt``)
over a frozen fast model: the landmark hierarchy and ``--goal-metric temporal|graph`` read only
this, never the slow predictor (``models.slow``), which only ``--slow-level model`` needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mpc_jepa.models.landmark_graph import LandmarkGraph
from mpc_jepa.models.object_readout import ObjectReadout
from mpc_jepa.models.temporal_distance import TemporalDistance

DISTANCE_KINDS = ("temporal", "graph", "objects")


@dataclass
class LearnedDistance:
    """``metric``: steps between fast latents through the data's transitions
    (``TemporalDistance``); ``graph``: long distances composed from its short hops
    (``LandmarkGraph``; None when built with 0 landmarks). Both take latents [B, D]. ``objects``:
    the object dimensions read off a latent (``ObjectReadout``; None where the data shows no
    object, or for a checkpoint older than it)."""

    metric: TemporalDistance
    graph: LandmarkGraph | None = None
    objects: ObjectReadout | None = None
    meta: dict = field(default_factory=dict)
    """Training metrics (as stored in the checkpoint)."""
    train_config: dict = field(default_factory=dict)
    """The ``DistanceTrainConfig`` it was trained with, as a dict."""

    def kind(self, name: str, setting: str) -> TemporalDistance | LandmarkGraph | ObjectReadout:
        """The metric (``name`` 'temporal'), the graph ('graph') or the object readout
        ('objects'); an error naming ``setting`` when this distance lacks it."""
        if name not in DISTANCE_KINDS:
            raise ValueError(f"{setting} must be one of {', '.join(DISTANCE_KINDS)}, got {name!r}")
        if name == "temporal":
            return self.metric
        if name == "objects":
            if self.objects is None:
                raise ValueError(
                    f"{setting}='objects' needs a learned distance with an object readout (the "
                    "data showed no object dimension, or it predates the readout: retrain it "
                    "with `mpc-jepa train --level distance`)"
                )
            return self.objects
        if self.graph is None:
            raise ValueError(
                f"{setting}='graph' needs a learned distance with landmarks (this one was trained"
                " with --distance-landmarks 0)"
            )
        return self.graph
