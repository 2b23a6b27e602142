"""Learning: hands found once per data folder, `gesture train`, `gesture eval`, reports, and
relearning from corrections (run as its own process: the live loop never imports this)."""
