"""A model card for an exported model: models/<name>/MODEL_CARD.md, written from its manifest.json and
report/metrics.json so that its figures are the export's own and never drift.

    python -m converters.model_card models/resnet_slim models/resnet models/mini_xception

The card follows Mitchell et al. (2019), "Model Cards for Model Reporting": what the model is, what
it is for and not for, the data it learnt from and its licence, its metrics per benchmark and per
class, its known limits and biases, and how to reproduce it. `converters.export` writes one after
each export.
"""
import argparse
import json
import sys
from pathlib import Path

from converters.manifest import CARD_NAME, read_manifest

# What each FER2013 file is (../shared/datasets/fer2013/README.md); other files are named as they are.
DATA_FILES = {
    "fer2013.csv.gz": "FER2013, the copy with contrast-remapped, JPEG-degraded pixels (`fer2013.csv.gz`)",
    "fer2013_original.csv.gz": "FER2013 with its original pixels (`fer2013_original.csv.gz`)",
}
# Data sets beside FER2013 that training.train can learn from, and their terms
# (../shared/datasets/*/README.md); any other --extra file is named as it is.
EXTRA_SETS = {
    "ferplus": "FER+ (Barsoum et al., 2016): ten raters' votes for every FER2013 face; MIT licence (Microsoft)",
    "sfew": "SFEW 2.0 (Dhall et al.): faces in stills from commercial films, handed out by its authors for "
            "academic research; the studios hold the images' copyright",
    "nimstim_subset": "a subset of NimStim (Tottenham et al., 2009): posed studio faces (angry, happy, neutral) "
                      "under its authors' terms of use for research",
}
# training/benchmarks.py's keys, as the card names them.
BENCHMARK_NAMES = {
    "fer2013": "FER2013 PrivateTest (original pixels, FER2013's labels)",
    "fer2013_remapped": "FER2013 PrivateTest (the remapped copy, FER2013's labels)",
    "ferplus": "FER2013 PrivateTest labelled by the FER+ raters' majority",
    "sfew": "SFEW 2.0's validation film stills",
}
# The make targets that rebuild the shipped models; any other model is rebuilt from its flags.
RECIPES = {
    "resnet_slim": ("make train-slim", "make export-slim"),
    "resnet": ("make train", "make export"),
    "mini_xception": ("make train-baseline", "make export-baseline"),
}
TTA_WORDS = {
    "none": "none: one pass per face",
    "flip": "flip: each face is averaged with its mirror image, inside the graph (two passes per face)",
    "smooth_flip": "smooth+flip: a sharp face is softened slightly (Gaussian, sigma 0.6 px, weighed by its "
                   "sharpness), then averaged with its mirror image, inside the graph (two passes per face; `training/tta.py`)",
}

INTENDED_USE = """\
- **For**: labelling the facial expression of faces in a live webcam stream, an image or a video,
  in this project's page, server and API, as a demonstration and for research into expression
  recognition. For one face crop it gives a probability for each of seven categories (angry,
  disgust, fear, happy, sad, surprise, neutral); a face detector finds the faces first.
- **Not for**: judging what a person feels, intends or is like. An expression is not an emotion:
  FER2013's labels name the expression a photo shows, as the web search that found it and the
  people who checked it read it. Do not use it for decisions about people (hiring, education,
  policing, border control, insurance, health, credit), to monitor people who have not agreed to
  it, or on children without their guardians' consent."""

ONE_DATASET = """\
- **One dataset.** It learnt from FER2013 only: 48x48 grayscale crops of faces found by web image
  search (many of them posed), with one label each. Faces from webcams, films or other cultures
  differ from these, so the figures above are FER2013's, not a promise for other faces
  ([docs/real-faces.md](../../docs/real-faces.md) measures other sets)."""
FEW_DATASETS = """\
- **Few datasets.** It learnt mostly from FER2013 (48x48 grayscale crops of faces found by web
  image search, many of them posed) and the small sets listed above. Faces from webcams, other
  films or other cultures differ from these, so the figures above are no promise for other faces
  ([docs/real-faces.md](../../docs/real-faces.md))."""

LIMITS = """\
- **Noisy labels.** FER2013 gives each face one label; many faces are ambiguous between two
  categories (fear and surprise, sad and neutral, angry and disgust), and the confusion matrices
  in `report/` show where the model mixes them.
- **No demographic breakdown.** FER2013 records no age, gender or skin tone, so accuracy across
  groups has not been measured and may differ between them, in particular for groups that are
  rare among web photos.
- **Seven categories.** Contempt, pain, confusion, mixed or subtle expressions have no category
  of their own and are forced into one of the seven.
- **Detector first.** In the app, a face that the detector misses (small, turned away, partly
  covered, in poor light) gets no label at all; a box that is too loose or off-centre lowers
  accuracy."""


def _pct(x) -> str:
    return f"{100 * x:.2f}%"


def _data_name(file) -> str:
    return DATA_FILES.get(Path(str(file)).name, f"`{Path(str(file)).name}`")


def _class_table(metrics: dict, labels) -> list:
    lines = ["| class | precision | recall | F1 |", "|---|---:|---:|---:|"]
    for label in labels:
        lines.append(f"| {label} | {metrics['precision'][label]:.3f} | {metrics['recall'][label]:.3f} | "
                     f"{metrics['f1'][label]:.3f} |")
    return lines


def _confusion(metrics: dict, labels) -> list:
    lines = ["| true \\ predicted | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for label, row in zip(labels, metrics["confusion_matrix"]):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return lines


def _formats(manifest: dict) -> list:
    lines = ["| format | file | weights | size | PublicTest accuracy (measured in that runtime) |",
             "|---|---|---|---:|---:|"]
    for name, fmt in manifest["formats"].items():
        acc = _pct(fmt["public_accuracy"]) if "public_accuracy" in fmt else ""
        loads = " (the page loads this)" if name == manifest.get("browser_format") else ""
        lines.append(f"| {name}{loads} | `{fmt['path']}` | {fmt.get('dtype', 'float32')} | "
                     f"{fmt.get('bytes', 0) / 1e6:.2f} MB | {acc} |")
    return lines


def _extra_data_lines(args: dict) -> list:
    """What the last training run learnt from beside FER2013's own labels (training.train --ferplus, --extra)."""
    lines = []
    if args.get("ferplus"):
        lines.append(f"- {EXTRA_SETS['ferplus']} (`--ferplus`: the raters' vote distributions as targets).")
    for entry in args.get("extra") or []:
        file, _, repeat = str(entry).partition(":")
        stem = Path(file).stem
        what = EXTRA_SETS.get(stem, f"`{Path(file).name}`: a face set; see its source for its terms")
        times = "once" if repeat in ("", "1") else f"{repeat} times"
        lines.append(f"- {what} (`--extra`, {times} per epoch).")
    if lines:
        lines.insert(0, "- The last training run also learnt from:")
        lines[1:] = ["  " + line for line in lines[1:]]
    return lines


def _calibration_line(calibration) -> list:
    if not calibration:
        return []
    return [f"- Calibration: temperature {calibration['temperature']} inside the graph (`training/calibration.py`), "
            f"fitted on {calibration['fitted_on']}: expected calibration error {calibration['ece_before']} before, "
            f"{calibration['ece_after']} after. It changes no label, only how sure each looks."]


def _run_line(training: dict) -> list:
    if "epochs_run" not in training:
        return []
    planned = training.get("args", {}).get("epochs")
    stopped = f" of the {planned} planned (the run was stopped early)" if planned and planned > training["epochs_run"] else ""
    return [f"- Last training run: {training['epochs_run']} epochs{stopped}; the weights are epoch {training['best_epoch']}'s."]


def _benchmarks(benchmarks: dict, name: str, labels) -> list:
    """The manifest's `benchmarks` (training.benchmarks.run_benchmarks: other data sets), when it has them."""
    if not benchmarks:
        return []
    out = ["", "### Other benchmarks", "",
           f"`python -m training.evaluate --benchmarks --model models/{name}` (training/benchmarks.py; what each "
           "set is: [docs/real-faces.md](../../docs/real-faces.md)).", "",
           "| benchmark | faces | accuracy | macro-F1 | calibration error (ECE) |", "|---|---:|---:|---:|---:|"]
    scored = {key: b for key, b in benchmarks.items() if "accuracy" in b}
    for key, b in benchmarks.items():
        if key in scored:
            ece = f"{b['ece']:.3f}" if "ece" in b else ""
            out.append(f"| {key} | {b['n']} | {_pct(b['accuracy'])} | {b['macro_f1']:.3f} | {ece} |")
        else:
            out.append(f"| {key} | not measured: {b.get('skipped', 'no figures')} | | | |")
    with_recall = {key: b for key, b in scored.items() if "recall" in b}
    if with_recall:
        out += ["", "Recall per class:", "", "| benchmark | " + " | ".join(labels) + " |",
                "|---|" + "---:|" * len(labels)]
        out += [f"| {key} | " + " | ".join(f"{b['recall'].get(label, 0):.3f}" for label in labels) + " |"
                for key, b in with_recall.items()]
    return out


SINGLE_VIEW_WORDS = {
    "plain": "the face as it is, no mirror",
    "smooth": "the face softened as the views soften it (a sharp face only), no mirror",
}


def _outputs_line(manifest: dict) -> list:
    """The TF.js graphs' output nodes (manifest `outputs`), when they have a single view beside the views."""
    outputs, view = manifest.get("outputs") or {}, manifest.get("single_view")
    if not view or outputs.get("views") == outputs.get("single"):
        return []
    return [f"- TF.js outputs (`manifest.json` `outputs`, for `GraphModel.execute(x, node)`): `{outputs['views']}` "
            "the views above (the default output), `{0}` a single view: {1}, the same weights and temperature, "
            "one pass per face instead of two. Each computes only what it needs; the TFLite files have the views' "
            "output only.".format(outputs["single"], SINGLE_VIEW_WORDS.get(view, view))]


def _single_view(manifest: dict, name: str) -> list:
    """The views against the single view on each benchmark (manifest `single_view_benchmarks`)."""
    single = {key: b for key, b in manifest.get("single_view_benchmarks", {}).items() if "accuracy" in b}
    views = manifest.get("benchmarks", {})
    rows = [key for key in single if "accuracy" in views.get(key, {})]
    if not rows:
        return []
    out = ["", "### Views against a single view", "",
           f"The TF.js graphs' two outputs on the same benchmarks: the test-time views (two passes per face) and "
           f"the single view (`{manifest.get('single_view')}`, one pass; "
           f"`python -m training.evaluate --benchmarks --model models/{name} --single-view "
           f"{manifest.get('single_view')}`).", "",
           "| benchmark | views accuracy | views macro-F1 | single accuracy | single macro-F1 |",
           "|---|---:|---:|---:|---:|"]
    out += [f"| {key} | {_pct(views[key]['accuracy'])} | {views[key]['macro_f1']:.3f} | {_pct(single[key]['accuracy'])} | "
            f"{single[key]['macro_f1']:.3f} |" for key in rows]
    return out


def _weakest(metrics: dict, labels, n=2) -> list:
    return sorted(labels, key=lambda label: metrics["f1"][label])[:n]


def card(model_dir) -> str:
    """The model card of the exported model in `model_dir`, as Markdown."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    report_file = model_dir / "report" / "metrics.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    name, labels = manifest["name"], manifest["labels"]
    training = manifest.get("training", {})
    data = training.get("data", "fer2013.csv.gz")
    metrics = manifest.get("metrics", {})
    reported = training.get("reported_on", "PrivateTest")
    selected = training.get("selected_on", "PublicTest")
    tta = manifest.get("test_time_augmentation", "none")
    shape = manifest["input"]["shape"]
    params = report.get("params")

    out = [f"# Model card: `{name}`", "",
           f"Generated by `python -m converters.model_card models/{name}` from `manifest.json` and "
           "`report/metrics.json`; do not edit by hand.", ""]
    head = metrics.get(reported)
    scored = {key: b for key, b in manifest.get("benchmarks", {}).items() if "accuracy" in b}
    if scored:
        out += ["Accuracy and macro-F1 on each benchmark:", ""]
        out += [f"- {BENCHMARK_NAMES.get(key, key)}: **{_pct(b['accuracy'])}**, {b['macro_f1']:.3f} "
                f"({b['n']:,} faces)" for key, b in scored.items()]
        out.append("")
    elif head:
        out += [f"**{_pct(head['accuracy'])} accuracy, macro-F1 {head['macro_f1']:.3f}** on FER2013 {reported} "
                f"({head['n']} faces; {_data_name(metrics[reported].get('data', data))}).", ""]

    out += ["## Model details", "",
            f"- Architecture: `{manifest['architecture']}`"
            + (f", {params:,} parameters" if isinstance(params, int) else "") + ".",
            f"- Input: one face, {shape[0]}x{shape[1]} grayscale, {manifest['input']['formula']} "
            f"(gray weights {manifest['input']['gray_weights']}, scale {manifest['input']['scale']}, "
            f"offset {manifest['input']['offset']}).",
            f"- Output: {manifest['output']}, over {', '.join(labels)}.",
            f"- Test-time augmentation: {TTA_WORDS.get(tta, tta)}.",
            *_outputs_line(manifest),
            *_calibration_line(manifest.get("calibration")),
            *_run_line(training),
            f"- Exported {manifest.get('created', '')} by `converters.export`; the manifest holds every file's "
            "size and SHA-256.", "", *_formats(manifest), ""]

    out += ["## Intended use", "", INTENDED_USE, ""]

    extra = _extra_data_lines(training.get("args", {}))
    out += ["## Training data", "",
            f"- {_data_name(data)}: Goodfellow et al., \"Challenges in Representation Learning: A report on "
            "three machine learning contests\" (ICML 2013 workshop; the Kaggle challenge by Pierre-Luc Carrier "
            "and Aaron Courville). 35,887 faces of 48x48 pixels, each with one of the seven labels.",
            f"- Protocol: fit on the Training split, choose the checkpoint on {selected}, report {reported} "
            f"(split `{training.get('split', 'official')}`).",
            *extra,
            "- Licence: FER2013 was released for research through the Kaggle challenge and is not part of "
            + ("this repository, nor are the other sets above. These weights are derived from every set they "
               "learnt from, so check each one's terms before any use beyond research." if extra else
               "this repository. These weights are derived from it, so check its terms before any use beyond "
               "research.")]
    counts = report.get("label_counts", {}).get("Training")
    if counts:
        total = sum(counts.values())
        out += [f"- FER2013 Training faces per class, by FER2013's labels ({total:,} in all): "
                + ", ".join(f"{label} {counts[label]:,}" for label in labels) + "."]
    out.append("")

    out += ["## Metrics", "",
            f"The exported model (with its test-time augmentation) on each benchmark, as `converters.export` "
            f"measured it. Rerun with `python -m training.evaluate --model models/{name} --split <split> "
            "--data <file>`.", "",
            "| benchmark | data | faces | accuracy | macro-F1 |", "|---|---|---:|---:|---:|"]
    for split, m in metrics.items():
        out.append(f"| {split} | {_data_name(m.get('data', data))} | {m['n']} | {_pct(m['accuracy'])} | "
                   f"{m['macro_f1']:.3f} |")
    for split, m in metrics.items():
        out += ["", f"### {split}, per class", "", *_class_table(m, labels)]
    out += _benchmarks(manifest.get("benchmarks", {}), name, labels)
    out += _single_view(manifest, name)
    splits = report.get("splits", {})
    if splits:
        out += ["", "### The trained network alone", "",
                "The training run's own evaluation of its checkpoint, one pass per face (no test-time "
                "augmentation"
                + (", labels: the FER+ raters' majority, faces without one left out" if training.get("args", {}).get(
                    "ferplus") else "")
                + "): `report/metrics.json`, with curves and confusion matrices as PNG files in `report/`.", "",
                "| split | accuracy | macro-F1 |", "|---|---:|---:|"]
        out += [f"| {split} | {_pct(m['accuracy'])} | {m['macro_f1']:.3f} |" for split, m in splits.items()]
        if "confusion_matrix" in splits.get(reported, {}):
            out += ["", f"Confusion matrix on {reported} (rows: true label; columns: predicted):", "",
                    *_confusion(splits[reported], labels)]
    out.append("")

    out += ["## Known limits and biases", ""]
    if head:
        weak = _weakest(head, labels)
        out += [f"- **Weakest classes** on FER2013 {reported}, by its own labels: " + " and ".join(
            f"{label} (F1 {head['f1'][label]:.3f})" for label in weak)
            + f", against {max(labels, key=lambda label: head['f1'][label])} "
              f"(F1 {max(head['f1'].values()):.3f}) for the strongest."]
    if counts:
        rare = min(labels, key=lambda label: counts[label])
        out += [f"- **Imbalance.** The rarest class, {rare}, has {counts[rare]:,} of the {sum(counts.values()):,} Training faces "
                f"({100 * counts[rare] / sum(counts.values()):.1f}%), so its figures rest on few test faces "
                f"({report.get('label_counts', {}).get(reported, {}).get(rare, '?')} in {reported})."]
    out += [FEW_DATASETS if extra else ONE_DATASET, LIMITS, ""]

    train_cmd, export_cmd = RECIPES.get(name, ("python -m training.train --run-dir runs/<run> <flags below>",
                                               f"python -m converters.export --model runs/<run>/best.keras "
                                               f"--run-dir runs/<run> --out models/{name}"))
    out += ["## How to reproduce", "",
            "With the datasets in `../shared/datasets/` (`DATASETS=<dir>` elsewhere; "
            "[docs/training.md](../../docs/training.md#the-data) says which), from the repository's root:",
            "", "```sh",
            f"{train_cmd:<60} # train (see docs/training.md)",
            f"{export_cmd:<60} # every format, manifest.json, this card",
            f"python -m training.evaluate --model models/{name} --split {reported} --data <file>   # the metrics above",
            *([f"python -m training.evaluate --benchmarks --model models/{name}   # the other benchmarks"] if scored else []),
            "```", "",
            "Training is seeded but not bit-for-bit repeatable across machines and backends, so a rerun lands "
            "near these figures, not on them. The flags of the run that made these weights are in "
            "`manifest.json` (`training.args`) and `report/args.json`; its per-epoch log is `report/log.csv`.",
            ""]
    return "\n".join(out)


def write_model_card(model_dir) -> Path:
    """Write `MODEL_CARD.md` into `model_dir` from its manifest and report; returns its path."""
    path = Path(model_dir) / CARD_NAME
    path.write_text(card(model_dir))
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dirs", nargs="+", help="exported model folders, each with a manifest.json")
    args = p.parse_args(argv)
    try:
        for model_dir in args.model_dirs:
            print(write_model_card(model_dir))
    except (FileNotFoundError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
