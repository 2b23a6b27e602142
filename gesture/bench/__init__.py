"""`gesture bench`: every speed and accuracy figure measured in one run, with its target.

Timings are medians over many runs after warm-up: the machine is shared and noisy, so
no single run means much, and none of this belongs in a timed unit test. `--quick` runs
every section reduced (short training, fewer repeats and frames) in a few minutes; its
accuracy and latency figures show that the pipeline works, not what it achieves, so they
carry no target. `--smoke` shrinks the same run to the smallest sizes that still give every
figure (`Context.pick`), so the test suite can check that each is produced.
"""
