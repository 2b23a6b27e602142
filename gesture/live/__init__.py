"""`gesture run`: the per-frame loop, the decision rules, key maps, key and mouse senders,
focus, corrections and the relearning job it starts by module name."""
