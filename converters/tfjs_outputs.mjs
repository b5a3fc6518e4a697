// Run a TF.js graph model in Node on one input and print every output by its signature name, for
// the converters' checks of models with several outputs (the face detector's scores and boxes).
//
//   node converters/tfjs_outputs.mjs MODEL_JSON INPUT.f32 [--backend wasm|cpu]
//
// INPUT.f32: one input batch, little-endian float32, of the model's input shape. Prints JSON
// {backend, outputs: {name: nested arrays}}.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { fileHandler } from "./tfjs_files.mjs";

async function main() {
  const [modelJson, inputPath, flag, backend = "wasm"] = process.argv.slice(2);
  if (!modelJson || !inputPath || (flag && flag !== "--backend")) {
    throw new Error("usage: tfjs_outputs.mjs MODEL_JSON INPUT.f32 [--backend wasm|cpu]");
  }
  await tf.setBackend(backend);
  await tf.ready();
  const model = await tf.loadGraphModel(fileHandler(modelJson));
  const raw = readFileSync(inputPath);
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const shape = model.inputs[0].shape.map((d) => (d > 0 ? d : 1));
  const names = Object.keys(model.signature?.outputs ?? {});
  const nodes = names.map((name) => model.signature.outputs[name].name);
  const results = tf.tidy(() => model.execute(tf.tensor(data, shape), nodes));
  const outputs = {};
  for (const [i, name] of names.entries()) outputs[name] = await (Array.isArray(results) ? results[i] : results).array();
  console.log(JSON.stringify({ backend: tf.getBackend(), outputs }));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
