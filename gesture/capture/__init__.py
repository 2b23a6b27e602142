"""Frames in: camera, video, image-folder and synthetic sources, the preview window, and `gesture capture`."""
