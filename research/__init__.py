"""One-off studies behind the training recipe's choices: kept runnable, not part of the app or of make train."""
