"""The data folder: image files, labels and sessions, the manifest, splits, checks and review."""
