"""gesture: hand gestures in front of a webcam, turned into key presses."""

import os
import time

__version__ = "0.1.0"
# When the package was first imported: `gesture run` reports the time from here to its
# first classified frame (imports, checkpoint, models and camera included).
STARTED = time.perf_counter()
# Before anything imports cv2, which reads it once: probing a camera that is not there
# otherwise prints dozens of OpenCV's own lines before gesture's one. A user's own
# OPENCV_LOG_LEVEL (INFO, DEBUG, ...) is left as it is.
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
# Before anything imports onnxruntime, which otherwise writes a device id and a database
# under ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ for its telemetry, a folder the
# user never asked for and `autostart off` could not account for. A user's own setting stays.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
