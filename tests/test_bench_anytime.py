"""Anytime curves: the best cost among the rungs that fit each budget."""

from mpc_jepa.apps.bench.anytime import BUDGETS_MS, anytime_curves, plot_anytime


def test_curve_takes_the_best_rung_within_each_budget(tmp_path):
    rows = [
        {"ms_per_plan": 3.0, "mean_cost": 5.0},
        {"ms_per_plan": 8.0, "mean_cost": 4.0},
        {"ms_per_plan": 15.0, "mean_cost": 4.5},  # slower and worse: never chosen
        {"ms_per_plan": 30.0, "mean_cost": 3.0},
    ]
    curve = anytime_curves({"p": rows})["p"]
    assert list(curve) == [str(b) for b in BUDGETS_MS]
    assert curve == {"2": None, "5": 5.0, "10": 4.0, "20": 4.0, "40": 3.0}
    path = plot_anytime({"p": curve, "mpc_jepa iCEM": curve}, tmp_path / "a.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
