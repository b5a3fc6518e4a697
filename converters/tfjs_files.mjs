// Load a TF.js graph model from disk in Node, without tfjs-node: tf.loadGraphModel(fileHandler(path)).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** An IOHandler that reads model.json and its weight shards from disk (tfjs-node is not needed). */
export function fileHandler(modelJsonPath) {
  return {
    async load() {
      const model = JSON.parse(readFileSync(modelJsonPath, "utf8"));
      const base = dirname(modelJsonPath);
      const weightSpecs = model.weightsManifest.flatMap((group) => group.weights);
      const shards = model.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(base, p))));
      const weightData = Buffer.concat(shards);
      return {
        ...model,
        weightSpecs,
        weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
      };
    },
  };
}
