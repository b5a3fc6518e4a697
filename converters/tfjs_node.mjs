// Run an exported TF.js graph model in Node, for parity checks and benchmarks.
//
//   node converters/tfjs_node.mjs MODEL_JSON INPUT.f32 N [--backend wasm|cpu] [--repeat 200] [--output NODE]
//
// INPUT.f32 holds N preprocessed faces (N x 48 x 48 x 1 little-endian float32, the output of
// training.preprocessing). Prints JSON: {backend, probabilities: N x classes, ms_per_face_batch1: median}.
// --output NODE: that output node (the manifest's `outputs`), not the signature's default output.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { fileHandler } from "./tfjs_files.mjs";

function parseArgs(argv) {
  const [modelJson, inputPath, n, ...rest] = argv;
  if (!modelJson || !inputPath || !n) {
    throw new Error("usage: tfjs_node.mjs MODEL_JSON INPUT.f32 N [--backend wasm|cpu] [--repeat 200] [--output NODE]");
  }
  const options = { modelJson, inputPath, n: Number(n), backend: "wasm", repeat: 0, output: undefined };
  for (let i = 0; i < rest.length; i += 2) options[rest[i].replace(/^--/, "")] = rest[i + 1];
  options.repeat = Number(options.repeat);
  return options;
}

const CHUNK_FACES = 256;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const options = parseArgs(process.argv.slice(2));
  await tf.setBackend(options.backend);
  await tf.ready();
  const model = await tf.loadGraphModel(fileHandler(options.modelJson));
  const shape = model.inputs[0].shape.slice(1);
  const raw = readFileSync(options.inputPath);
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const faceSize = shape.reduce((a, b) => a * b, 1);
  if (data.length !== options.n * faceSize) {
    throw new Error(`expected ${options.n} faces of shape ${shape} in ${options.inputPath}, got ${data.length} floats`);
  }
  // Chunks keep the activations of thousands of faces (twice that with flip TTA) inside the
  // WASM backend's memory, which one batch of a whole test split overflows.
  const probabilities = [];
  for (let start = 0; start < options.n; start += CHUNK_FACES) {
    const count = Math.min(CHUNK_FACES, options.n - start);
    const chunk = data.subarray(start * faceSize, (start + count) * faceSize);
    probabilities.push(...tf.tidy(() => model.execute(tf.tensor(chunk, [count, ...shape]), options.output).arraySync()));
  }

  const times = [];
  if (options.repeat > 0) {
    const one = tf.tensor(data.subarray(0, faceSize), [1, ...shape]);
    for (let i = 0; i < options.repeat + 10; i++) {
      const start = performance.now();
      const out = model.execute(one, options.output);
      await out.data();
      out.dispose();
      if (i >= 10) times.push(performance.now() - start); // the first runs warm up
    }
    one.dispose();
  }
  console.log(JSON.stringify({ backend: tf.getBackend(), probabilities, ms_per_face_batch1: times.length ? median(times) : null }));
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
