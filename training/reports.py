"""Per-run reports: metrics.json and PNG plots (curves, confusion matrices, per-class scores, label counts)."""
import csv
import json
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from training.data import label_counts  # noqa: E402
from training.metrics import classification_report  # noqa: E402
from training.predict import predict_probabilities  # noqa: E402
from training.preprocessing import LABELS  # noqa: E402


def write_run_reports(run_dir, model, dataset, eval_splits, selected_on, reported_on) -> dict:
    """Evaluate `model` on each split of `eval_splits`, write metrics.json and every plot; return the metrics."""
    run_dir = Path(run_dir)
    by_split = {name: classification_report(s.y, predict_probabilities(model, s.x)) for name, s in eval_splits.items()}
    log = read_log(run_dir / "log.csv")
    seconds = [float(r["epoch_seconds"]) for r in log if r.get("epoch_seconds")]
    metrics = {
        "selected_on": selected_on,
        "reported_on": reported_on,
        "accuracy": by_split[reported_on]["accuracy"],
        "macro_f1": by_split[reported_on]["macro_f1"],
        "splits": by_split,
        "params": int(model.count_params()),
        "epochs_run": len(log),
        "best_epoch": _best_epoch(log),
        "median_epoch_seconds": statistics.median(seconds) if seconds else None,
        "total_train_seconds": round(sum(seconds), 1),
        "label_counts": {name: label_counts(s) for name, s in dataset.items()},
    }
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if log:
        plot_curves(log, run_dir / "curves.png", selected_on)
    report = by_split[reported_on]
    plot_confusion(np.asarray(report["confusion_matrix"]), run_dir / "confusion_counts.png", False, reported_on)
    plot_confusion(np.asarray(report["confusion_matrix"]), run_dir / "confusion_normalized.png", True, reported_on)
    plot_per_class(report, run_dir / "per_class.png", reported_on)
    plot_label_distribution(metrics["label_counts"], run_dir / "label_distribution.png")
    return metrics


def read_log(path) -> list:
    """Rows of a Keras CSVLogger file as dicts (empty if the file is missing)."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def _best_epoch(log):
    if not log:
        return None
    best = max(log, key=lambda r: float(r["val_accuracy"]))
    return int(best["epoch"]) + 1


def plot_curves(log, path, val_name):
    epochs = [int(r["epoch"]) + 1 for r in log]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ("accuracy", "loss")):
        ax.plot(epochs, [float(r[key]) for r in log], label="Training")
        if all(r.get("val_" + key) for r in log):  # runs logged before val_loss was recorded have none
            ax.plot(epochs, [float(r["val_" + key]) for r in log], label=val_name)
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(cm, path, normalize, split_name):
    values = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(values, cmap="Blues")
    fig.colorbar(im, ax=ax)
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{split_name} confusion matrix ({'row-normalised' if normalize else 'counts'})")
    threshold = values.max() / 2
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            text = f"{values[i, j]:.2f}" if normalize else str(int(values[i, j]))
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if values[i, j] > threshold else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_per_class(report, path, split_name):
    x = np.arange(len(LABELS))
    fig, ax = plt.subplots(figsize=(9, 4))
    for k, key in enumerate(("precision", "recall", "f1")):
        ax.bar(x + (k - 1) * 0.27, [report[key][name] for name in LABELS], width=0.27, label=key)
    ax.set_xticks(x, LABELS)
    ax.set_ylim(0, 1)
    ax.set_title(f"{split_name}: per-class scores (accuracy {report['accuracy']:.3f}, macro-F1 {report['macro_f1']:.3f})")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_label_distribution(counts_by_split, path):
    x = np.arange(len(LABELS))
    n = len(counts_by_split)
    fig, ax = plt.subplots(figsize=(9, 4))
    for k, (split, counts) in enumerate(counts_by_split.items()):
        ax.bar(x + (k - (n - 1) / 2) * 0.8 / n, [counts[name] for name in LABELS], width=0.8 / n, label=split)
    ax.set_xticks(x, LABELS)
    ax.set_ylabel("faces")
    ax.set_title("Label distribution per split")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
