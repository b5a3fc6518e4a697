"""Carry FER2013 to a machine that takes a limited upload per call, as LZMA-compressed parts.

    python -m scripts.data_chunks pack --out .gpu/data                     # here (scripts/offline_gpu.sh bundle)
    python3 -m scripts.data_chunks join /root/parts --out /root/fer.npz    # there, after every part came

For scripts/offline_gpu.sh: a machine that reaches no network and takes 64 MiB per call, the repo's
own 34 MiB and Keras's wheels (3 MiB) included, gets FER2013's Training faces (66 MB of pixels,
49 MiB compressed) in two calls of 24.5 MiB. Only Training travels by default: the test splits never
reach the machine that trains, and the teachers' PublicTest scores are taken here afterwards.

`pack` writes the dataset as training.data.save_npz would, LZMA-compresses it and cuts the stream
into equal parts no larger than --part-mib, beside `fer.parts.json` (part names, SHA-256 of the
whole stream, faces per split). `join` checks that every part is there and that the stream is the
one packed before it writes the .npz that every --data takes. It needs only the standard library,
so it runs on a machine with neither TensorFlow nor OpenCV.
"""
import argparse
import hashlib
import io
import json
import lzma
import math
import sys
from pathlib import Path

INDEX = "fer.parts.json"
PART = "fer.part-{:03d}"
DEFAULT_SPLITS = ("Training",)


class ChunkError(ValueError):
    """Parts that cannot be joined: one missing, or not the stream that was packed."""


def pack(dataset: dict, out, part_bytes: int) -> list:
    """Write `dataset` ({split: Split}) under `out` as parts of at most `part_bytes`; returns their paths."""
    from training.data import save_npz  # here, so that `join` needs no NumPy stack of ours
    buffer = io.BytesIO()
    save_npz(dataset, buffer)
    stream = lzma.compress(buffer.getvalue(), preset=9 | lzma.PRESET_EXTREME)  # 3% smaller than 6
    count = max(1, math.ceil(len(stream) / part_bytes))
    size = math.ceil(len(stream) / count)  # equal parts: each call carries about the same
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("fer.part-*"):
        old.unlink()
    paths = [out / PART.format(k) for k in range(count)]
    for k, path in enumerate(paths):
        path.write_bytes(stream[k * size:(k + 1) * size])
    index = {"parts": [p.name for p in paths], "sha256": hashlib.sha256(stream).hexdigest(),
             "faces": {name: len(s) for name, s in dataset.items()}}
    (out / INDEX).write_text(json.dumps(index, indent=1) + "\n")
    return paths


def join(folder, out) -> dict:
    """Join the parts under `folder` into the .npz `out`; returns the index (faces per split)."""
    folder = Path(folder)
    try:
        index = json.loads((folder / INDEX).read_text())
    except (OSError, ValueError) as e:
        raise ChunkError(f"{folder / INDEX}: cannot read the index that pack wrote: {e}") from e
    missing = [name for name in index["parts"] if not (folder / name).is_file()]
    if missing:
        raise ChunkError(f"{folder}: missing {', '.join(missing)} of {len(index['parts'])} parts")
    stream = b"".join((folder / name).read_bytes() for name in index["parts"])
    if hashlib.sha256(stream).hexdigest() != index["sha256"]:
        raise ChunkError(f"{folder}: the parts are not the stream that was packed (SHA-256 differs); "
                         "pack again and send every part from the same pack")
    Path(out).write_bytes(lzma.decompress(stream))
    return index


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    packing = sub.add_parser("pack", help="dataset -> compressed parts")
    packing.add_argument("--data", help="FER2013 CSV, .csv.gz, .npz or image folder (default: ../shared's)")
    packing.add_argument("--splits", nargs="+", default=list(DEFAULT_SPLITS))
    packing.add_argument("--out", required=True, help="folder for the parts and their index")
    packing.add_argument("--part-mib", type=float, default=26.0,
                         help="largest part; 26 leaves room for the repo and the wheels in a 64 MiB call")
    joining = sub.add_parser("join", help="parts -> .npz for --data")
    joining.add_argument("folder", help="the folder holding the index and every part")
    joining.add_argument("--out", required=True, help=".npz to write")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.command == "pack":
            from training.data import DEFAULT_DATA, load
            dataset = load(args.data or DEFAULT_DATA)
            absent = [name for name in args.splits if name not in dataset]
            if absent:
                raise ChunkError(f"no {', '.join(absent)} split; found {sorted(dataset)}")
            paths = pack({name: dataset[name] for name in args.splits}, args.out, int(args.part_mib * 2 ** 20))
            sizes = ", ".join(f"{p.name} {p.stat().st_size / 2 ** 20:.1f} MiB" for p in paths)
            print(f"{args.out}: {sizes}")
        else:
            index = join(args.folder, args.out)
            print(f"{args.out}: {index['faces']}")
    except (ChunkError, ValueError, OSError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
