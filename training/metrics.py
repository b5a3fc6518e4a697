"""Classification metrics from labels and predictions, with no dependency beyond NumPy."""
import numpy as np

from training.preprocessing import LABELS, NUM_CLASSES


def confusion_matrix(y_true, y_pred, num_classes=NUM_CLASSES) -> np.ndarray:
    """Counts: rows are true labels, columns are predictions."""
    cm = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm


def classification_report(y_true, probabilities) -> dict:
    """accuracy, macro_f1, per-class precision/recall/f1 (by label name), confusion_matrix and n."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(probabilities).argmax(axis=1)
    cm = confusion_matrix(y_true, y_pred)
    tp = np.diag(cm).astype(float)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    per_class = lambda v: {name: round(float(x), 4) for name, x in zip(LABELS, v)}
    return {
        "n": int(len(y_true)),
        "accuracy": round(float((y_pred == y_true).mean()), 4),
        "macro_f1": round(float(f1.mean()), 4),
        "precision": per_class(precision),
        "recall": per_class(recall),
        "f1": per_class(f1),
        "labels": list(LABELS),
        "confusion_matrix": cm.tolist(),
    }
