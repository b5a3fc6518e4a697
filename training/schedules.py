"""Learning-rate schedules shared by training.train and training.ensemble_distill."""
import math


def cosine(lr, epoch, epochs):
    """Cosine annealing (Loshchilov and Hutter, 2017) without restarts: `lr` at epoch 0, falling to
    0 at `epochs` (0-based `epoch`)."""
    return lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
