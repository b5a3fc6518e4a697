"""Export one trained Keras model to every format we ship, with its manifest.

    python -m converters.export --model runs/mini_xception/best.keras --out models/mini_xception

writes into --out:
    model.keras                  the Keras model (what training.evaluate and the server's TF path load)
    saved_model/                 TensorFlow SavedModel (the source of the other conversions)
    tfjs/model.json + shards     TF.js graph model, float32
    tfjs_float16/, tfjs_uint8/   the same with float16 or uint8 weights (a half or a quarter of the
                                 download; the manifest's browser_format names the one the page
                                 loads: converters.browser_formats)
    model_float32.tflite         TensorFlow Lite, float32
    model_float16.tflite         TensorFlow Lite, float16 weights
    model_int8.tflite            TensorFlow Lite, int8 weights and activations (float input/output),
                                 calibrated on faces drawn from FER2013 Training
    manifest.json                labels, input and preprocessing, metrics, provenance, sizes, sha256
    MODEL_CARD.md                the model card, from the manifest and report (converters.model_card)

It writes them into a folder beside --out, checks them there, and only then renames that folder into
--out's place, so an export that fails leaves the model already in --out untouched.

With --tta flip (or smooth_flip), every format is the model wrapped by training.tta.with_tta: it
averages each face with its mirror image (softened slightly first) inside the graph, so the browser
and the server get it with no code. The TF.js graphs then have a second output beside the views'
average: one pass per face (training.tta.single_view, SINGLE_VIEW: the face softened as the views
soften it, no mirror; the same weights and temperature, half the compute), which the page can run
instead when several faces share a frame. The manifest's `outputs` names both output nodes
({"views": ..., "single": ...}); the signature's default output stays the views' average, and the
TFLite files and model.keras keep their one output.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# tensorflowjs imports TF Decision Forests, whose banner needs IPython when stdout is captured.
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

import numpy as np  # noqa: E402

from converters.browser_formats import (  # noqa: E402
    BROWSER_ENDPOINT, BROWSER_KEYS, WEIGHT_ENCODINGS, choose_browser_format, export_tfjs, format_entry, output_nodes)
from converters.manifest import build_manifest, file_entry, read_manifest, write_manifest  # noqa: E402
from converters.model_card import write_model_card  # noqa: E402
from training.data import DataError, load  # noqa: E402
from training.evaluate import DEFAULT_DATA, KERAS_FILE, evaluate_faces, load_keras_model  # noqa: E402
from training.preprocessing import INPUT_SHAPE, preprocess_batch  # noqa: E402
from training.benchmarks import expected_calibration_error, run_benchmarks  # noqa: E402
from training.calibration import apply_temperature, fit_temperature, with_temperature  # noqa: E402
from training.extra_data import ferplus_majority, ferplus_votes_for  # noqa: E402
from training.predict import predict_probabilities  # noqa: E402
from training.tta import SINGLE_VIEW, TTA_CHOICES, graph_tta, single_view, with_tta  # noqa: E402

REPRESENTATIVE_FACES = 500


def export_saved_model(model, out_dir: Path, single=None) -> Path:
    """model.export's SavedModel ("serve", the default signature: the model's one output). With
    `single` (training.tta.single_view of `model`), also the endpoint BROWSER_ENDPOINT returning both,
    {"output_0": model(x), "output_1": single(x)} over the same variables, for the TF.js conversion."""
    import keras

    path = out_dir / "saved_model"
    shutil.rmtree(path, ignore_errors=True)
    if single is None:
        model.export(str(path), verbose=False)
        return path
    archive = keras.export.ExportArchive()
    # As model.export names it (the input's name, "face"): the TFLite signature and TF.js input keep it.
    signature = [keras.InputSpec(shape=(None, *model.input_shape[1:]), dtype="float32", name=model.inputs[0].name)]
    archive.track_and_add_endpoint("serve", model, signature)  # what model.export writes
    archive.track(single)
    archive.add_endpoint(BROWSER_ENDPOINT, lambda x: {BROWSER_KEYS["views"]: model(x, training=False),
                                                      BROWSER_KEYS["single"]: single(x, training=False)}, signature)
    archive.write_out(str(path), verbose=False)
    return path


class ExportError(RuntimeError):
    """An exported format does not compute what the Keras model computes."""


def check_tfjs_matches_keras(model, model_json: Path, faces, tolerance=1e-3, single=None):
    """Run the TF.js export in Node on a few faces and compare with Keras: its default output with
    `model`, and with `single` (training.tta.single_view of `model`) its single-view output node.

    The TF.js converter has fused a residual Add into a conv's bias (a rank-4 "bias" that TF.js
    then rejects) when a BatchNorm scale was exactly zero, as in an untrained ResNet. Checking
    here turns such a silent break of the browser path into an error at export time.
    """
    from converters.runtimes import run_tfjs_node

    x = preprocess_batch(faces[:16])
    nodes = output_nodes(model_json)
    checks = [("views", None, model)] + ([("single", nodes["single"], single)] if single is not None else [])
    for what, node, keras_model in checks:
        try:
            got = run_tfjs_node(model_json, x, backend="wasm", output=node)["probabilities"]
        except RuntimeError as e:
            raise ExportError(f"{model_json} does not run in TF.js ({what} output): {e}") from e
        worst = float(np.abs(got - keras_model.predict(x, verbose=0)).max())
        if worst > tolerance:
            raise ExportError(f"{model_json}'s {what} output differs from Keras by up to {worst:.2g} "
                              f"(tolerance {tolerance})")
    if single is not None and nodes["single"] == nodes["views"]:
        raise ExportError(f"{model_json} has no single-view output beside the views")


def export_tflite(saved_model: Path, out_dir: Path, kind: str, representative_faces=None) -> Path:
    import tensorflow as tf

    # The default signature only: the views' average, the one output the server reads (not BROWSER_ENDPOINT).
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=["serving_default"])
    if kind == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif kind == "int8":
        faces = preprocess_batch(representative_faces)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([face[None]] for face in faces)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    elif kind != "float32":
        raise ValueError(f"unknown TFLite kind {kind!r}; expected float32, float16 or int8")
    path = out_dir / f"model_{kind}.tflite"
    path.write_bytes(converter.convert())
    return path


def representative_training_faces(training, n=REPRESENTATIVE_FACES, seed=0) -> np.ndarray:
    """A seeded random sample of `training` (FER2013's Training Split) for int8 calibration (never the
    test splits)."""
    pick = np.random.default_rng(seed).choice(len(training), size=min(n, len(training)), replace=False)
    return training.x[np.sort(pick)]


def export(model_path, out_dir, data=DEFAULT_DATA, name=None, metrics=None, training=None, tta="none",
           calibrate=False, ferplus=None, benchmarks=None, run_dir=None) -> dict:
    """Write every format of the model at `model_path` into `out_dir` and return the manifest.

    Everything is written into a temporary folder beside `out_dir` and checked there (TF.js and
    TFLite against Keras, the manifest against the files); only then does it take `out_dir`'s place,
    so an export that fails leaves the model that was there as it was. `run_dir`: the training run
    whose report (flags, log, metrics, plots) ships in report/; without it, the report/ of the model
    being replaced is kept.

    tta="flip" or "smooth_flip" wraps the model in that test-time augmentation first (training/tta.py;
    twice the compute per face). calibrate=True fits a temperature on PublicTest (labelled by the
    FER+ raters' majority when `ferplus` names the vote file) and bakes it into every format
    (training/calibration.py). `benchmarks`: a datasets folder; the manifest then records every
    benchmark of training/benchmarks.py.
    """
    dataset = load(data)  # once, and before anything is written: parsing FER2013's CSV takes seconds
    missing = ({"Training"} | ({"PublicTest", "PrivateTest"} if metrics is None else set())) - set(dataset)
    if missing:
        raise DataError(f"{data}: no {' or '.join(sorted(missing))} split; found {sorted(dataset)}. Export calibrates "
                        "int8 on Training faces and, unless given metrics, measures PublicTest and PrivateTest")
    out_dir = Path(out_dir)
    loaded = load_keras_model(model_path)
    if tuple(loaded.input_shape[1:]) != INPUT_SHAPE:
        raise ValueError(f"model input {loaded.input_shape} does not match the spec's {INPUT_SHAPE}")
    model = with_tta(loaded, tta)
    calibration = None
    if calibrate:
        model, calibration = calibrated(model, dataset["PublicTest"], ferplus)

    staging = out_dir.parent / f".{out_dir.name}.export-{os.getpid()}"  # beside it: same file system, renamed in place
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)  # with the umask's permissions, which the folder keeps once renamed
    try:
        if run_dir:
            copy_run_report(Path(run_dir), staging / "report")  # first, so that the manifest lists and hashes it
        elif (out_dir / "report").is_dir():
            shutil.copytree(out_dir / "report", staging / "report")
        manifest = _write_formats(model, loaded, model_path, staging, dataset, name or out_dir.name, metrics,
                                  training, calibration, benchmarks)
        check_export(staging, model, representative_training_faces(dataset["Training"])[:64])
        replace_folder(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _write_formats(model, loaded, model_path, out_dir, dataset, name, metrics, training, calibration, benchmarks):
    """Every format, the manifest and the model card, into the empty folder `out_dir`."""
    import keras

    if model is loaded:  # the very file, byte for byte (saving again would change its timestamps)
        source = Path(model_path)
        shutil.copy2(source / KERAS_FILE if source.is_dir() else source, out_dir / KERAS_FILE)
    else:
        keras.models.save_model(model, out_dir / KERAS_FILE)
    single = single_view(model) if graph_tta(model) != "none" else None
    saved_model = export_saved_model(model, out_dir, single)
    faces = representative_training_faces(dataset["Training"])
    formats = {"keras": {"path": KERAS_FILE, "runtime": "keras"}}
    outputs = None
    for tfjs_name in WEIGHT_ENCODINGS:
        model_json = export_tfjs(saved_model, out_dir, tfjs_name)
        if tfjs_name == "tfjs":
            check_tfjs_matches_keras(model, model_json, faces, single=single)
        outputs = outputs or output_nodes(model_json)
        if output_nodes(model_json) != outputs:
            raise ExportError(f"{model_json}: output nodes {output_nodes(model_json)}, where tfjs has {outputs}")
        formats[tfjs_name] = format_entry(out_dir, model_json, tfjs_name)
    for kind in ("float32", "float16", "int8"):
        path = export_tflite(saved_model, out_dir, kind, faces)
        formats[f"tflite_{kind}"] = {"path": path.name, "runtime": "tflite", "dtype": kind}

    if metrics is None:
        metrics = {split: _summary(evaluate_faces(model, dataset[split])) for split in ("PublicTest", "PrivateTest")}
    manifest = build_manifest(out_dir, name, model.name, formats, metrics, training or {},
                              test_time_augmentation=graph_tta(model), outputs=outputs,
                              single_view=SINGLE_VIEW if single is not None else None)
    manifest["browser_format"] = choose_browser_format(out_dir, manifest["formats"], dataset.get("PublicTest"))
    if calibration:
        manifest["calibration"] = calibration
    if benchmarks:
        manifest["benchmarks"] = run_benchmarks(lambda faces: predict_probabilities(model, faces), benchmarks)
        if single is not None:  # what the page gives up when it runs the single view instead
            manifest["single_view_benchmarks"] = run_benchmarks(
                lambda faces: predict_probabilities(single, faces), benchmarks)
    write_manifest(out_dir, manifest)
    write_model_card(out_dir)
    return manifest


def check_export(out_dir: Path, model, faces, tolerance=1e-3):
    """Raise ExportError unless the folder is whole: the manifest's files are there with their sizes and
    hashes, every format's file exists, the float32 TFLite file computes what Keras computes and the
    other TFLite files give probabilities. Run on the new folder before it replaces the old one."""
    from converters.runtimes import TFLiteModel

    manifest = read_manifest(out_dir)
    for rel, entry in manifest["files"].items():
        path = out_dir / rel
        if not path.is_file() or file_entry(path) != entry:
            raise ExportError(f"{rel}: not the file the manifest describes")
    for fmt, entry in manifest["formats"].items():
        if not (out_dir / entry["path"]).is_file():
            raise ExportError(f"format {fmt}: {entry['path']} is missing")
        if entry["runtime"] == "tfjs" and output_nodes(out_dir / entry["path"]) != manifest.get("outputs"):
            raise ExportError(f"format {fmt}: its output nodes are not the manifest's outputs")
    x = preprocess_batch(faces)
    expected = model.predict(x, verbose=0)
    for fmt, entry in manifest["formats"].items():
        if entry["runtime"] != "tflite":
            continue
        got = TFLiteModel(out_dir / entry["path"]).predict(x)
        if got.shape != expected.shape or not np.allclose(got.sum(1), 1, atol=0.05):
            raise ExportError(f"{entry['path']} gives {got.shape} outputs that are not probabilities")
        worst = float(np.abs(got - expected).max())
        if entry["dtype"] == "float32" and worst > tolerance:
            raise ExportError(f"{entry['path']} differs from Keras by up to {worst:.2g} (tolerance {tolerance})")


def replace_folder(new: Path, old: Path):
    """Put the folder `new` where `old` is, by renames within one parent folder: `old` is set aside,
    `new` takes its name, then the set-aside copy is deleted (or put back if the rename failed)."""
    if not old.exists():
        os.replace(new, old)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{old.name}.previous-", dir=old.parent))
    os.replace(old, aside / old.name)
    try:
        os.replace(new, old)
    except OSError:
        os.replace(aside / old.name, old)
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def calibrated(model, public_test, ferplus=None):
    """(model with a fitted temperature, the manifest's calibration record)."""
    labels, keep, labelled_by = public_test.y, np.ones(len(public_test), bool), "FER2013"
    if ferplus:
        labels, keep = ferplus_majority(ferplus_votes_for(ferplus, "PublicTest"))
        labelled_by = "the FER+ raters' majority"
    probabilities = predict_probabilities(model, public_test.x)[keep]
    temperature = fit_temperature(probabilities, labels[keep])
    after = apply_temperature(probabilities, temperature)
    record = {"temperature": round(temperature, 4), "fitted_on": f"PublicTest, {labelled_by} ({keep.sum()} faces)",
              "ece_before": round(expected_calibration_error(labels[keep], probabilities), 4),
              "ece_after": round(expected_calibration_error(labels[keep], after), 4)}
    return with_temperature(model, temperature), record


def copy_run_report(run_dir: Path, report_dir: Path):
    """Ship the training run's record with the model: flags, per-epoch log, metrics and plots."""
    shutil.rmtree(report_dir, ignore_errors=True)  # a previous model's files must not pass for this one's
    report_dir.mkdir(parents=True)
    for pattern in ("args*.json", "log.csv", "metrics.json", "model_summary.txt", "*.png"):
        for file in run_dir.glob(pattern):
            shutil.copy2(file, report_dir / file.name)


def _summary(report: dict) -> dict:
    keys = ("n", "accuracy", "macro_f1", "precision", "recall", "f1")
    return {k: report[k] for k in keys}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a .keras file, or a folder holding model.keras")
    p.add_argument("--out", required=True, help="output folder, e.g. models/resnet_slim")
    p.add_argument("--data", default=str(DEFAULT_DATA),
                   help="FER2013 CSV: int8 calibration faces (Training) and the metrics (PublicTest, PrivateTest)")
    p.add_argument("--name", help="model name in the manifest (default: the folder name)")
    p.add_argument("--run-dir", help="training run folder: its args.json and metrics.json go into the manifest")
    p.add_argument("--tta", choices=TTA_CHOICES, default="none",
                   help="bake this test-time augmentation (training/tta.py) into every format (twice the compute per face)")
    p.add_argument("--calibrate", action="store_true",
                   help="fit a temperature on PublicTest and bake it into every format (training/calibration.py)")
    p.add_argument("--ferplus", help="FER+ votes (ferplus.csv): --calibrate fits on the raters' majority")
    p.add_argument("--benchmarks", help="datasets folder: record every benchmark of training/benchmarks.py")
    args = p.parse_args(argv)

    training = {"data": Path(args.data).name}
    if args.run_dir:
        run = Path(args.run_dir)
        run_args = json.loads((run / "args.json").read_text())
        run_metrics = json.loads((run / "metrics.json").read_text())
        training.update(split=run_args["split"], selected_on=run_metrics["selected_on"],
                        reported_on=run_metrics["reported_on"], epochs_run=run_metrics["epochs_run"],
                        best_epoch=run_metrics["best_epoch"], median_epoch_seconds=run_metrics["median_epoch_seconds"],
                        total_train_seconds=run_metrics["total_train_seconds"], args=run_args)
        if (run / "args_resumed.json").exists():  # the flags of the last resume, when they changed the recipe
            training["args_resumed"] = json.loads((run / "args_resumed.json").read_text())
    try:
        manifest = export(args.model, args.out, args.data, args.name, training=training, tta=args.tta,
                          calibrate=args.calibrate, ferplus=args.ferplus, benchmarks=args.benchmarks,
                          run_dir=args.run_dir)
    except (DataError, FileNotFoundError, ExportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps({k: manifest[k] for k in ("name", "formats", "metrics")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
