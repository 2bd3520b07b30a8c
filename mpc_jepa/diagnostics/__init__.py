"""Diagnostics of learned models: prediction vs the copy baseline, collapse, probes, geometry."""

from mpc_jepa.diagnostics.task_geometry import geodesic_rank_correlation, wall_leak
from mpc_jepa.diagnostics.world_model import (
    HORIZONS,
    collapsed,
    format_report,
    geometry_report,
    physical_probe,
    prediction_errors,
    report,
)

__all__ = [
    "HORIZONS",
    "collapsed",
    "format_report",
    "geodesic_rank_correlation",
    "geometry_report",
    "physical_probe",
    "prediction_errors",
    "report",
    "wall_leak",
]
