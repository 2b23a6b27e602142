"""gesture: hand gestures in front of a webcam, turned into key presses."""

import time

__version__ = "0.1.0"
# When the package was first imported: `gesture run` reports the time from here to its
# first classified frame (imports, checkpoint, models and camera included).
STARTED = time.perf_counter()
