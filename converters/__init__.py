"""Export a trained Keras model to the formats the server, the browser and phones run."""
