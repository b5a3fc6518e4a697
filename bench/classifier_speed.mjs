// Time the expression classifier in TF.js in Node (WASM backend, one thread): milliseconds per face
// for each of the model's outputs (the manifest's `outputs`: the test-time views' average, and the
// single view) at a few batch sizes, interleaved so that a busy machine slows every case alike.
//
//   node bench/classifier_speed.mjs [MODEL_DIR] [--format tfjs_uint8] [--batches 1,4] [--rounds 200]
//
// MODEL_DIR defaults to models/resnet_slim, --format to its manifest's browser_format. The faces are
// random values on the model's input scale (the time does not depend on them). Prints one JSON
// object: per output and batch, the median and quartiles of the time per call and per face.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount, getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { fileHandler } from "../converters/tfjs_files.mjs";

function parseArgs(argv) {
  const options = { modelDir: "models/resnet_slim", format: undefined, batches: "1,4", rounds: "200", warmup: "20" };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) options[argv[i].slice(2)] = argv[++i];
    else options.modelDir = argv[i];
  }
  return options;
}

const quantile = (xs, q) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const round = (x) => Math.round(x * 100) / 100;

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(readFileSync(join(options.modelDir, "manifest.json"), "utf8"));
  const format = options.format ?? manifest.browser_format ?? "tfjs";
  const outputs = manifest.outputs ?? {};
  setThreadsCount(1);
  await tf.setBackend("wasm");
  await tf.ready();
  const model = await tf.loadGraphModel(fileHandler(join(options.modelDir, manifest.formats[format].path)));
  const shape = manifest.input.shape;
  const batches = options.batches.split(",").map(Number);
  const cases = [];
  for (const [name, node] of Object.entries(outputs)) {
    for (const batch of batches) cases.push({ name, node, batch, x: tf.randomUniform([batch, ...shape], -1, 1), times: [] });
  }
  if (!cases.length) throw new Error(`${options.modelDir}/manifest.json names no outputs`);

  const run = async (c) => {
    const start = performance.now();
    const y = model.execute(c.x, c.node);
    await y.data();
    y.dispose();
    return performance.now() - start;
  };
  for (let i = 0; i < Number(options.warmup); i++) for (const c of cases) await run(c);
  for (let i = 0; i < Number(options.rounds); i++) {
    // Each round runs every case once, in an order that rotates, so that no case always follows another.
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(i + k) % cases.length];
      c.times.push(await run(c));
    }
  }
  const results = cases.map((c) => ({
    output: c.name, node: c.node, batch: c.batch,
    ms_per_call: { median: round(quantile(c.times, 0.5)), q25: round(quantile(c.times, 0.25)), q75: round(quantile(c.times, 0.75)) },
    ms_per_face: round(quantile(c.times, 0.5) / c.batch),
  }));
  console.log(JSON.stringify({
    runtime: `Node ${process.version}, TF.js ${tf.version.tfjs} ${tf.getBackend()} backend, ${getThreadsCount()} thread(s)`,
    model: options.modelDir, format, rounds: Number(options.rounds), results,
  }, null, 2));
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
