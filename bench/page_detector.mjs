// The page's face detector (static/js/detector.js, Human's BlazeFace), run in Node on raw frames,
// so Python benchmarks can compare its boxes with the server's (bench.framing).
//
//   node bench/page_detector.mjs FRAMES.u8 N HEIGHT WIDTH
//
// FRAMES.u8 holds N RGB frames (N x HEIGHT x WIDTH x 3 uint8). Prints JSON: one list of
// {x, y, w, h, score} boxes per frame, in frame pixels, best first.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { fileHandler } from "../converters/tfjs_files.mjs";

globalThis.tf = tf; // detector.js uses the page's global tf, as the page loads it
const { createDetector } = await import("../static/js/detector.js");
const MODEL = new URL("../node_modules/@vladmandic/human/models/blazeface.json", import.meta.url).pathname;

const [path, n, height, width] = process.argv.slice(2);
if (!path || !n || !height || !width) throw new Error("usage: page_detector.mjs FRAMES.u8 N HEIGHT WIDTH");
await tf.setBackend("wasm");
await tf.ready();
const detector = await createDetector({ modelUrl: fileHandler(MODEL) });
const raw = readFileSync(path);
const size = Number(height) * Number(width) * 3;
const boxes = [];
for (let i = 0; i < Number(n); i++) {
  const frame = tf.tensor3d(raw.subarray(i * size, (i + 1) * size), [Number(height), Number(width), 3], "int32");
  boxes.push(await detector.estimate(frame));
  frame.dispose();
}
console.log(JSON.stringify(boxes));
