"""MediaPipe's BlazeFace for the page: the server's .tflite network, rebuilt in TensorFlow and
converted to a TF.js graph model, so that both modes run the same face detector.

    python -m converters.face_detector [--variants short full] [--out models/face_detectors]

The weights are read from the .tflite file the npm package @mediapipe/face_detection ships (the file
server/detectors/blazeface.py runs with LiteRT); nothing is retrained or downloaded. The TFLite graph
is a plain chain of convolutions, so each of its operators maps to one TensorFlow op. The rebuilt
graph also takes the decoding the server does in NumPy: it reads 0..255 pixels of the letterboxed
square and returns each anchor's score (sigmoid) and box (normalised xmin, ymin, xmax, ymax), the
anchors baked in from the same make_anchors. The page then only thresholds, merges (weighted NMS)
and undoes the letterbox.

`make setup` runs this (the output is built, not committed); the export checks that TF.js and
LiteRT give the same scores and boxes on real frames before it replaces the folder.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

import numpy as np  # noqa: E402

from converters.manifest import MANIFEST_NAME, refresh_files  # noqa: E402
from server.detectors.blazeface import (  # noqa: E402
    NMS_IOU, PACKAGE_DIR, PIXEL_OFFSET, PIXEL_SCALE, VARIANTS, BlazeFaceDetector, letterbox, make_anchors)

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "models" / "face_detectors"
TOLERANCE = 2e-3  # scores and normalised box corners, TF.js against LiteRT


def read_tflite(path: Path):
    """The TFLite flatbuffer -> (operators as dicts in execution order, constant arrays by tensor
    index, the input and output tensor indices, tensor names)."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(path.read_bytes(), 0))
    graph = model.subgraphs[0]
    opcodes = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    dtypes = {schema.TensorType.FLOAT32: np.float32, schema.TensorType.FLOAT16: np.float16,
              schema.TensorType.INT32: np.int32, schema.TensorType.INT64: np.int64}
    constants, names = {}, {}
    for index, tensor in enumerate(graph.tensors):
        names[index] = tensor.name.decode()
        data = model.buffers[tensor.buffer].data
        if data is not None and len(data):
            array = np.frombuffer(np.asarray(data, np.uint8).tobytes(), dtypes[tensor.type])
            constants[index] = array.reshape(tensor.shape) if tensor.shape is not None else array
    operators = []
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        operators.append({"op": opcodes[builtin], "inputs": list(op.inputs), "outputs": list(op.outputs),
                          "options": op.builtinOptions})
    return operators, constants, list(graph.inputs), list(graph.outputs), names


def _activation(x, code):
    import tensorflow as tf

    from ai_edge_litert.schema_py_generated import ActivationFunctionType as Act
    if code == Act.NONE:
        return x
    if code == Act.RELU:
        return tf.nn.relu(x)
    if code == Act.RELU6:
        return tf.nn.relu6(x)
    raise ValueError(f"fused activation {code} is not supported")


def _padding(options):
    from ai_edge_litert.schema_py_generated import Padding
    return "SAME" if options.padding == Padding.SAME else "VALID"


def run_operators(x, operators, constants):
    """Execute the TFLite operators with TensorFlow ops on `x`; returns every tensor by index."""
    import tensorflow as tf

    values = {index: tf.constant(array) for index, array in constants.items()}
    values.update({"input": x})
    for op in operators:
        name, ins, out, o = op["op"], op["inputs"], op["outputs"][0], op["options"]
        if name == "DEQUANTIZE":  # float16 weights stored for size: to float32 once, here
            result = tf.constant(constants[ins[0]].astype(np.float32))
        elif name == "CONV_2D":
            kernel = tf.transpose(values[ins[1]], [1, 2, 3, 0])  # OHWI -> HWIO
            result = tf.nn.conv2d(values[ins[0]], kernel, [1, o.strideH, o.strideW, 1], _padding(o),
                                  dilations=[1, o.dilationHFactor, o.dilationWFactor, 1])
            result = _activation(tf.nn.bias_add(result, values[ins[2]]) if ins[2] >= 0 else result,
                                 o.fusedActivationFunction)
        elif name == "DEPTHWISE_CONV_2D":
            channels = values[ins[0]].shape[-1]
            kernel = tf.reshape(values[ins[1]], list(values[ins[1]].shape[1:3]) + [channels, o.depthMultiplier])
            result = tf.nn.depthwise_conv2d(values[ins[0]], kernel, [1, o.strideH, o.strideW, 1], _padding(o),
                                            dilations=[o.dilationHFactor, o.dilationWFactor])
            result = _activation(tf.nn.bias_add(result, values[ins[2]]) if ins[2] >= 0 else result,
                                 o.fusedActivationFunction)
        elif name == "ADD":
            result = _activation(values[ins[0]] + values[ins[1]], o.fusedActivationFunction if o else 0)
        elif name == "RELU":
            result = tf.nn.relu(values[ins[0]])
        elif name == "PAD":
            result = tf.pad(values[ins[0]], constants[ins[1]])
        elif name == "MAX_POOL_2D":
            result = _activation(tf.nn.max_pool2d(values[ins[0]], [o.filterHeight, o.filterWidth],
                                                  [o.strideH, o.strideW], _padding(o)), o.fusedActivationFunction)
        elif name == "RESHAPE":
            shape = constants[ins[1]] if len(ins) > 1 and ins[1] in constants else o.newShape
            result = tf.reshape(values[ins[0]], [int(s) for s in shape])
        elif name == "CONCATENATION":
            result = _activation(tf.concat([values[i] for i in ins], o.axis), o.fusedActivationFunction)
        elif name == "RESIZE_BILINEAR":
            result = tf.compat.v1.image.resize_bilinear(values[ins[0]], [int(s) for s in constants[ins[1]]],
                                                        align_corners=o.alignCorners,
                                                        half_pixel_centers=o.halfPixelCenters)
        else:
            raise ValueError(f"TFLite operator {name} is not supported by this converter")
        values[out] = result
    return values


def build_module(tflite_path: Path, variant: str):
    """A tf.Module whose `serve` takes the letterboxed square, 0..255 RGB [1, S, S, 3], and returns
    `scores` [N] and `boxes` [N, 8]: normalised xmin, ymin, xmax, ymax, then the eyes, normalised
    right eye x, y, left eye x, y; N the anchors."""
    import tensorflow as tf

    options = VARIANTS[variant]
    size = options["size"]
    operators, constants, inputs, outputs, _ = read_tflite(tflite_path)
    anchors = make_anchors(size, options["strides"], options["interpolated_anchor"])

    class FaceDetector(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, size, size, 3], tf.float32, name="pixels")])
        def serve(self, pixels):
            values = run_operators(pixels / PIXEL_SCALE + PIXEL_OFFSET, [
                {**op, "inputs": ["input" if i == inputs[0] else i for i in op["inputs"]]} for op in operators],
                constants)
            regressors, logits = sorted((values[i] for i in outputs), key=lambda t: -t.shape[-1])
            # As server/detectors/blazeface.py: centre offsets and sizes in input pixels, about the anchors.
            centres = regressors[0, :, :2] / size + anchors
            sizes = regressors[0, :, 2:4] / size
            # Then the first two keypoints, the face's right and left eye, offsets about the anchors
            # too. One output with both: as two, the TF.js converter lost their signature names.
            eyes = regressors[0, :, 4:8] / size + np.tile(anchors, 2)
            boxes = tf.concat([centres - sizes / 2, centres + sizes / 2, eyes], axis=1)
            scores = tf.sigmoid(tf.clip_by_value(logits[0, :, 0], -100.0, 100.0))
            return {"boxes": tf.identity(boxes, name="boxes"), "scores": tf.identity(scores, name="scores")}

    return FaceDetector()


def sample_squares(size: int) -> np.ndarray:
    """Letterboxed squares of real faces, as the detector sees them: skimage's astronaut (one face),
    and the same photo mirrored and halved (a face only the full-range model finds), uint8 [K, S, S, 3]."""
    from skimage import data

    photo = data.astronaut()
    small = np.zeros_like(photo)
    small[128:384, 128:384] = photo[::2, ::2]
    return np.stack([letterbox(img, size)[0] for img in (photo, photo[:, ::-1], small)])


def reference_outputs(package_dir: Path, variant: str, squares: np.ndarray):
    """The server's scores and boxes for `squares` (LiteRT on the .tflite file)."""
    detector = BlazeFaceDetector(variant, model_dir=package_dir)
    return [detector.scores_and_boxes(square) for square in squares]


def run_tfjs_outputs(model_json: Path, x: np.ndarray, backend="wasm") -> dict:
    """Every output of a TF.js graph model run in Node on one batch `x`, by signature name."""
    script = Path(__file__).with_name("tfjs_outputs.mjs")
    with tempfile.NamedTemporaryFile(suffix=".f32") as f:
        np.ascontiguousarray(x, dtype="<f4").tofile(f.name)
        done = subprocess.run(["node", str(script), str(model_json), f.name, "--backend", backend],
                              capture_output=True, text=True, cwd=script.parents[1], timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"tfjs_outputs.mjs failed: {done.stderr.strip()}")
    outputs = json.loads(done.stdout.strip().splitlines()[-1])["outputs"]
    return {name: np.asarray(value, np.float32) for name, value in outputs.items()}


def check_tfjs(model_json: Path, squares, expected):
    """Run the TF.js graph in Node (WASM backend) on `squares`; raise if it strays from LiteRT."""
    if not (expected[0][0] > 0.5).any():
        raise RuntimeError("LiteRT finds no face in the astronaut photo: the .tflite file is not BlazeFace")
    for square, (scores, boxes, eyes) in zip(squares, expected):
        got = run_tfjs_outputs(model_json, square[None].astype(np.float32))
        score_error = float(np.abs(got["scores"] - scores).max())
        confident = scores > 0.3  # a box's corners and eyes only matter where a face may be
        box_error, eye_error = (float(np.abs(got["boxes"][confident, columns] - want[confident]).max())
                                if confident.any() else 0.0
                                for columns, want in ((slice(0, 4), boxes), (slice(4, 8), eyes)))
        if max(score_error, box_error, eye_error) > TOLERANCE:
            raise RuntimeError(f"{model_json}: TF.js differs from LiteRT by {score_error:.2g} in scores, "
                               f"{box_error:.2g} in boxes and {eye_error:.2g} in eyes (tolerance {TOLERANCE})")


def detector_name(variant: str) -> str:
    """The server's name for a variant (FER_DETECTOR, training/spec.json's framing)."""
    return "blazeface" if variant == "short" else f"blazeface_{variant}"


def export(variant: str, out_root: Path = DEFAULT_OUT, package_dir: Path = PACKAGE_DIR) -> Path:
    """Convert, check against LiteRT, then swap `out_root`/<detector name> in. Returns the manifest's path."""
    import tensorflow as tf

    from tensorflowjs.converters import tf_saved_model_conversion_v2 as tfjs_convert

    options = VARIANTS[variant]
    tflite_path = Path(package_dir) / options["file"]
    if not tflite_path.exists():
        raise FileNotFoundError(f"{tflite_path}: run `npm ci` to install @mediapipe/face_detection")
    out_dir = Path(out_root) / detector_name(variant)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent) as tmp:
        staging = Path(tmp) / "export"
        module = build_module(tflite_path, variant)
        saved_model = Path(tmp) / "saved_model"
        tf.saved_model.save(module, str(saved_model), signatures={"serve": module.serve})
        # float16 weights: what the .tflite file stores, at half the download of float32.
        model_json = staging / "tfjs_float16" / "model.json"
        tfjs_convert.convert_tf_saved_model(str(saved_model), str(model_json.parent), signature_def="serve",
                                            saved_model_tags="serve", quantization_dtype_map={"float16": "*"})
        squares = sample_squares(options["size"])
        check_tfjs(model_json, squares, reference_outputs(package_dir, variant, squares))
        package = json.loads((Path(package_dir) / "package.json").read_text())
        manifest = {
            "kind": "face_detector",
            "name": detector_name(variant),
            "source": f"{package['name']}@{package['version']}/{options['file']} (Apache-2.0), converted by "
                      "converters/face_detector.py",
            "input": {"size": options["size"], "letterbox": "centred, black", "pixels": "RGB 0..255"},
            "min_score": options["min_score"],
            "nms_iou": NMS_IOU,
            "outputs": {"scores": "scores",
                        "boxes": "boxes (normalised xmin, ymin, xmax, ymax, then right eye x, y, left eye x, y)"},
            "formats": {"tfjs": {"path": str(model_json.relative_to(staging)), "runtime": "tfjs",
                                 "dtype": "float16 weights"}},
        }
        refresh_files(manifest, staging)
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    return out_dir / MANIFEST_NAME


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=sorted(VARIANTS),
                        help="short range (128x128, faces within about 2 m), full range (192x192), or both")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="one folder per detector is written here")
    args = parser.parse_args(argv)
    for variant in args.variants:
        path = export(variant, args.out)
        print(f"wrote {path.parent} (BlazeFace {variant} range for TF.js, checked against LiteRT)", file=sys.stderr)


if __name__ == "__main__":
    main()
