"""What every section of the benchmark shares: a figure, the run's context, timing, and a clip
played through the real live loop."""
from __future__ import annotations

import platform
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..config import ModelConfig, cores
from ..model.net import GestureNet
from ..preprocess import PreprocessConfig


@dataclass
class Figure:
    section: str
    name: str
    value: float
    unit: str
    target: float | None = None
    better: str = "lower"  # or "higher"
    detail: str = ""  # data, split, composition: what the number was measured on
    compare: float | None = None  # for the peer's figures: gesture's figure for the same thing

    def __post_init__(self):
        # numpy scalars would leak into the JSON as types json cannot write.
        self.value = float(self.value)
        self.compare = None if self.compare is None else float(self.compare)

    @property
    def ratio(self) -> float | None:
        """The peer's figure as a ratio to gesture's."""
        return self.value / self.compare if self.compare else None

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.better == "lower" else self.value >= self.target


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu, "cores": cores(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(), "platform": platform.platform(),
    }


def median_ms(call, runs: int, warmup: int) -> float:
    """Median time of call() in ms, after `warmup` untimed calls."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def latency_ms(model: torch.nn.Module, size: int, runs: int = 300, warmup: int = 50, batch: int = 1) -> float:
    """Median forward time in ms, channels_last, in inference mode."""
    model = model.eval().to(memory_format=torch.channels_last)
    x = torch.randn(batch, 3, size, size).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        return median_ms(lambda: model(x), runs, warmup)

# A press within a quarter of a second is fast enough for slides and media (issue 34): the
# latency targets, in frames at 30 fps from a gesture's first frame to its key.
MEDIAN_LATENCY, LATENCY = 6, 10
QUICK_EPOCHS = 6  # epochs of training per model in --quick
SMOKE_EPOCHS = 2  # and in --smoke
SMOKE_HEAD_STEPS = 300  # --smoke: the landmark head's steps (a fifth of its fixed count)


@dataclass
class Context:
    runs: int = 300  # timed runs per latency figure
    datasets: Path | None = None  # ../shared/datasets; sections that need it skip without it
    progress: bool = True
    log: object = print
    quick: bool = False
    smoke: bool = False  # the smallest run that still gives every figure (implies quick): for the tests
    # Shared between sections of one run: gesture's accuracy per split (for the peer's
    # ratios), and asl-frames decoded with block fold 0's model (for the live-loop replays).
    accuracy: dict = field(default_factory=dict)
    fold0: tuple | None = None

    def train_config(self):
        from ..config import TrainConfig

        # others=False: the shipped hagrid-people hands would join hagrid-named labels, test people included
        return TrainConfig(cache=False, epochs=self.pick(None, QUICK_EPOCHS, SMOKE_EPOCHS), others=False,
                           head_steps=self.pick(None, None, SMOKE_HEAD_STEPS))

    def pick(self, full, quick, smoke=None):
        """A size for this run: the full bench's, --quick's, or --smoke's (quick's where not given)."""
        if self.smoke and smoke is not None:
            return smoke
        return quick if self.quick else full

    def target(self, value: float) -> float | None:
        """Accuracy and latency targets are for the full run; quick training cannot meet them."""
        return None if self.quick else value


def have_datasets(ctx: Context, section: str, need: tuple = ("asl-frames", "sign-digits")) -> bool:
    root = ctx.datasets
    if root is None or not all((root / n).is_dir() for n in need):
        ctx.log(f"[{section}] skipped: the real datasets are not at {root} ({', '.join(need)} are needed)")
        return False
    return True

SPLITS = {
    "block": "asl-frames 7 classes, 5-fold block split, mean accuracy",
    "late": "asl-frames late split accuracy (lighting never seen)",
    "digits": "sign-digits person-disjoint accuracy",
}


def replay_live(ctx: Context, ckpt: Path, clip: Path, keys: Path | None, tmp: Path, name: str,
                decision=None) -> tuple[dict, list[dict]]:
    """Play a clip through the real live loop (headless, keys logged, not sent); its summary and
    events. `decision`: a DecisionConfig other than the defaults (a baseline in the same run)."""
    from ..live.loop import RunConfig, run
    from ..live.senders import DryRunSender
    from . import replay

    log = tmp / f"{name}.jsonl"
    cfg = RunConfig(checkpoint=ckpt, source=str(clip), keys=keys, preview=False, log=log, corrections=False)
    if decision is not None:
        cfg.decision = decision
    summary = run(cfg, sender=DryRunSender(), log=lambda *a: None)
    return summary, replay.read_events(log)


def plumbing_checkpoint(path: Path, labels: tuple = ("a", "b", "c"), none_label: str | None = None,
                        size: int = ModelConfig.size, width: float = 1.0, samples: int = 60, steps: int = 100) -> Path:
    """A model whose weights do not matter, written to `path`: an untrained whole-frame network
    and a landmark head fitted briefly on hand-shaped points, with the shipped prior's identity.
    For what depends on which path a frame takes, not on what was learned: speed, swipes."""
    from dataclasses import replace

    from .. import prior
    from ..model import checkpoint
    from ..model.framenet import export
    from ..model.head import HeadConfig, fit_head

    rng = np.random.default_rng(0)
    points = (rng.normal(0, 30, (samples, 21, 3)) + [320, 240, 0]).astype(np.float32)
    head = fit_head(points, np.arange(samples) % len(labels), len(labels), replace(HeadConfig(), steps=steps))
    model = GestureNet(ModelConfig(num_classes=len(labels), size=size, width=width)).eval()
    ck = checkpoint.Checkpoint(model, list(labels), none_label, PreprocessConfig(size=size), {}, head.state,
                               prior.identity(), export(model))
    return checkpoint.write(path, ck)


def tap_map(gestures: list[str]) -> str:
    """A key map that taps a different letter for each gesture, so every press is attributable."""
    return "[gestures]\n" + "".join(f'{g} = "{chr(ord("a") + i)}"\n' for i, g in enumerate(gestures))


def frame_net(size: int, backend: str = "onnx"):
    """An untrained default network as the live loop runs it (speed does not depend on the weights), or
    as eager torch would run it (`backend="torch"`, the peer of the model section's speed-up)."""
    from ..live.session import INFER_THREADS
    from ..model.framenet import FrameNet, export

    model = GestureNet(ModelConfig(size=size)).eval()
    return TorchNet(model, INFER_THREADS) if backend == "torch" else FrameNet(export(model), threads=INFER_THREADS)


class TorchNet:
    """The fused network in eager torch on its own thread count: what ONNX Runtime is measured against."""

    def __init__(self, model, threads: int):
        import torch

        from ..model.net import fuse

        self.threads, self.net = threads, fuse(model).to(memory_format=torch.channels_last)

    def probs(self, x: np.ndarray) -> np.ndarray:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                t = torch.from_numpy(x).contiguous(memory_format=torch.channels_last)
                return torch.softmax(self.net(t), 1).numpy()
        finally:
            torch.set_num_threads(before)


def runtime_ms(net, size: int, runs: int, warmup: int = 50) -> float:
    """Median time of a framenet.FrameNet on one standardised frame, as the live loop calls it."""
    x = np.random.default_rng(0).standard_normal((1, 3, size, size)).astype(np.float32)
    return median_ms(lambda: net.probs(x), runs, warmup)
