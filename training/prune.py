"""A narrower copy of a trained ResNet, to fine-tune into a faster model (`training.train --init-from`).

    python -m training.prune --model models/resnet --arch resnet_slim --out runs/slim/init.keras

Each convolution keeps the output channels whose batch normalisation scales them most (|gamma|);
channels that meet in a residual sum are chosen together, by the sum of both branches' |gamma|,
so the sum stays a sum of the same channels. Every later layer keeps the matching input channels.
The copy starts close to the trained network instead of from scratch: a few epochs of
fine-tuning bring back most of what the dropped channels carried.
"""
import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from training.preprocessing import INPUT_SHAPE, NUM_CLASSES  # noqa: E402
from training.models import make_model  # noqa: E402


def producer(tensor):
    """The layer whose output `tensor` is."""
    return tensor._keras_history.operation


def inputs_of(layer):
    """The layers whose outputs `layer` takes."""
    tensors = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
    return [producer(t) for t in tensors]


def conv_behind(layer):
    """The convolution (or the input) that `layer`'s channels come from, through layers that keep channels."""
    while not isinstance(layer, (layers.Conv2D, layers.InputLayer)):
        layer = inputs_of(layer)[0]
    return layer


def kept_channels(model: keras.Model, narrow: keras.Model) -> dict:
    """{conv layer name of `model`: the output channels it keeps (sorted)} for `narrow`'s widths."""
    widths = {a.name: b.filters for a, b in zip(model.layers, narrow.layers) if isinstance(a, layers.Conv2D)}
    scale = {}  # conv name -> |gamma| of the batch normalisation right after it
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            scale[conv_behind(inputs_of(layer)[0]).name] = np.abs(layer.gamma.numpy())
    groups = {name: [name] for name in widths}  # convs whose outputs are summed share one choice
    for layer in model.layers:
        if isinstance(layer, layers.Add):
            convs = [conv_behind(p).name for p in inputs_of(layer)]
            if any(isinstance(conv_behind(p), layers.InputLayer) for p in inputs_of(layer)):
                raise ValueError(f"{layer.name}: a residual sum with an identity shortcut is not handled")
            merged = sorted({c for name in convs for c in groups[name]})
            for name in merged:
                groups[name] = merged
    kept = {}
    for name, group in groups.items():
        if name in kept:
            continue
        if len({widths[c] for c in group}) != 1:
            raise ValueError(f"convolutions {group} are summed but narrowed to different widths")
        importance = sum(scale[c] for c in group)
        choice = np.sort(np.argsort(-importance, kind="stable")[:widths[name]])
        kept.update({c: choice for c in group})
    return kept


def prune(model: keras.Model, narrow: keras.Model) -> keras.Model:
    """`narrow` (the same architecture with fewer channels) given `model`'s weights for the channels it keeps."""
    if [type(a) for a in model.layers] != [type(b) for b in narrow.layers]:
        raise ValueError("the narrow model is not the same architecture as the trained one")
    kept = kept_channels(model, narrow)

    def channels(layer):  # the channels of `layer`'s output that the narrow model keeps
        source = conv_behind(layer)
        return np.arange(source.output.shape[-1]) if isinstance(source, layers.InputLayer) else kept[source.name]

    for a, b in zip(model.layers, narrow.layers):
        weights = a.get_weights()
        if isinstance(a, layers.Conv2D):
            kernel = weights[0][:, :, channels(inputs_of(a)[0])][:, :, :, kept[a.name]]
            b.set_weights([kernel] + [w[kept[a.name]] for w in weights[1:]])
        elif isinstance(a, layers.BatchNormalization):
            b.set_weights([w[channels(a)] for w in weights])
        elif isinstance(a, layers.Dense):
            b.set_weights([weights[0][channels(inputs_of(a)[0])]] + weights[1:])
        elif weights:
            raise ValueError(f"{a.name}: no rule to narrow a {type(a).__name__} with weights")
    return narrow


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a model folder (its model.keras) or a .keras file")
    p.add_argument("--arch", required=True, help="the narrow architecture's name in training/models.py")
    p.add_argument("--out", required=True, help="the .keras file to write")
    args = p.parse_args(argv)
    import training.calibration  # noqa: F401  (an exported model may hold a calibration layer)
    from training.tta import inner_network

    path = Path(args.model)
    trained = inner_network(keras.models.load_model(path / "model.keras" if path.is_dir() else path, compile=False))
    narrow = prune(trained, make_model(args.arch, INPUT_SHAPE, NUM_CLASSES))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    narrow.save(args.out)
    print(f"{args.out}: {narrow.count_params():,} parameters, from {trained.count_params():,}", file=sys.stderr)


if __name__ == "__main__":
    main()
