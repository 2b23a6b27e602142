"""Build-time tools: the TFLite -> ONNX converter and the idle-hand file's builder."""
