"""gesture: hand gestures in front of a webcam, turned into key presses."""

__version__ = "0.1.0"
