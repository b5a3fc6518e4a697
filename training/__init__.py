"""Training pipeline: FER2013 data, models, training and evaluation."""
