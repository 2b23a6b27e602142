"""What a model is: the whole-frame network, the landmark head and its verifier, the checkpoint
and the torch-free live file, and one frame -> class probabilities."""
