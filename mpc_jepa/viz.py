"""Plots and videos (matplotlib; imageio with ffmpeg for MP4, GIF where no encoder is available)."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import matplotlib

matplotlib.use("Agg")  # headless; notebooks switch to their inline backend themselves
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save_video(frames: list[np.ndarray], path: str | Path, fps: int = 25) -> Path:
    """Write [H, W, 3] uint8 frames as MP4 (or GIF if ffmpeg is missing). Returns the path
    written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not frames:
        raise ValueError("no frames to write")
    try:
        with imageio.get_writer(
            path.with_suffix(".mp4"), fps=fps, codec="libx264", quality=7, macro_block_size=1
        ) as w:
            for f in frames:
                w.append_data(f)
        return path.with_suffix(".mp4")
    except Exception:  # noqa: BLE001 - no ffmpeg backend: fall back to GIF
        imageio.mimsave(path.with_suffix(".gif"), frames, duration=1 / fps)
        return path.with_suffix(".gif")


def label_frames(frames: list[np.ndarray], text: str, scale: int = 4) -> list[np.ndarray]:
    """Upscale frames (nearest) and stamp ``text`` + the step number on them with matplotlib."""
    h, w = frames[0].shape[:2]
    fig = plt.figure(figsize=(w * scale / 100, h * scale / 100 + 0.3), dpi=100)
    ax = fig.add_axes([0, 0, 1, h * scale / (h * scale + 30)])
    ax.axis("off")
    image = ax.imshow(frames[0], interpolation="nearest")
    label = fig.text(0.02, 0.99, f"{text}  step {len(frames) - 1}", va="top", fontsize=9)
    fig.canvas.draw()  # measure the longest label: a long task name shrinks to fit the width
    width = label.get_window_extent().width
    label.set_fontsize(9 * min(1.0, 0.9 * w * scale / width))
    out = []
    for i, f in enumerate(frames):  # one figure, updated in place: much faster than redrawing it
        image.set_data(f)
        label.set_text(f"{text}  step {i}")
        fig.canvas.draw()
        out.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    plt.close(fig)
    return out


def plot_cost_curves(curves: dict[str, np.ndarray], path: str | Path) -> Path:
    """Planning cost per iteration, one line per planner. curves: name -> [I] (best cost so far)."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    styles = [("o", "-", 9), ("s", "--", 6), ("^", ":", 5)]  # overlapping curves stay visible
    for i, (name, c) in enumerate(curves.items()):
        marker, line, size = styles[i % len(styles)]
        ax.plot(np.arange(len(c)), c, marker=marker, linestyle=line, markersize=size, label=name)
    ax.set_xlabel("planner iteration")
    ax.set_ylabel("best latent cost")
    ax.set_title("planning cost per iteration (first control step)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_latent_pca(
    actual: np.ndarray, predicted: np.ndarray, path: str | Path, goal: np.ndarray | None = None
) -> Path:
    """Predicted (open-loop) vs actual embedding trajectories, projected on the actual's top-2 PCs.

    actual, predicted: [T+1, D]; goal: [D] or None.
    """
    mean = actual.mean(0)
    _, _, vt = np.linalg.svd(actual - mean, full_matrices=False)
    proj = lambda x: (x - mean) @ vt[:2].T  # noqa: E731
    a, p = proj(actual), proj(predicted)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(a[:, 0], a[:, 1], "-o", ms=3, label="actual: encoder(obs_t)")
    ax.plot(p[:, 0], p[:, 1], "--x", ms=3, label="predicted: open-loop rollout")
    ax.scatter(*a[0], c="k", zorder=3, label="start")
    if goal is not None:
        g = proj(goal[None])[0]
        ax.scatter(*g, marker="*", s=200, c="tab:red", zorder=3, label="goal embedding")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title("embedding trajectory: predicted vs actual")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_trajectories_on_map(
    trajs: dict[str, np.ndarray],
    goal: np.ndarray,
    bounds,
    path: str | Path,
    walls: list | None = None,
    subgoals: np.ndarray | None = None,
    title: str | None = None,
) -> Path:
    """Physical xy trajectories per planner on the task map. trajs: name -> [T, 2]; subgoals: [S, 2]
    (drawn as points coloured by time)."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for i, (name, tr) in enumerate(trajs.items()):  # wider first: overlapping paths stay visible
        ax.plot(tr[:, 0], tr[:, 1], ("-", "--", "-.", ":")[i % 4], lw=max(3.5 - i, 1.2), label=name)
        ax.scatter(*tr[0], c="k", s=15)
    ax.scatter(*goal[:2], marker="*", s=250, c="tab:red", label="goal")
    for x0, y0, x1, y1 in walls or []:
        ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, color="sienna"))
    if subgoals is not None:
        ax.scatter(
            subgoals[:, 0],
            subgoals[:, 1],
            marker="x",
            s=12,
            c=np.arange(len(subgoals)),
            cmap="viridis",
            label="subgoals (early: purple)",
        )
    if title:
        ax.set_title(title, fontsize=9)
    ax.set_xlim(*bounds[0])
    ax.set_ylim(*bounds[1])
    ax.set_aspect("equal")
    # below the map: never hides the goal
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
