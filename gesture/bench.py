"""`gesture bench`: every speed and accuracy figure measured in one run, with its target.

Timings are medians over many runs after warm-up: the machine is shared and noisy, so
no single run means much, and none of this belongs in a timed unit test. `--quick` runs
every section reduced (short training, fewer repeats and frames) in under two minutes;
its accuracy and latency figures show that the pipeline works, not what it achieves, so
they carry no target.
"""
from __future__ import annotations

import itertools
import json
import platform
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from .config import ModelConfig, cores
from .errors import GestureError
from .model import GestureNet, fuse
from .preprocess import PreprocessConfig


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


QUICK_EPOCHS = 6  # epochs of training per model in --quick


@dataclass
class Context:
    runs: int = 300  # timed runs per latency figure
    datasets: Path | None = None  # ../shared/datasets; sections that need it skip without it
    progress: bool = True
    log: object = print
    quick: bool = False
    # Shared between sections of one run: gesture's accuracy per split (for the peer's
    # ratios), and asl-frames decoded with block fold 0's model (for the live-loop replays).
    accuracy: dict = field(default_factory=dict)
    fold0: tuple | None = None

    def train_config(self):
        from .config import TrainConfig

        return TrainConfig(cache=False, epochs=QUICK_EPOCHS if self.quick else None)

    def target(self, value: float) -> float | None:
        """Accuracy and latency targets are for the full run; quick training cannot meet them."""
        return None if self.quick else value


def bench_model(ctx: Context) -> list[Figure]:
    runs = min(ctx.runs, 50) if ctx.quick else ctx.runs
    cfg = ModelConfig()
    net = GestureNet(cfg)
    twin = GestureNet(replace(cfg, block="standard"))
    what = f"batch 1, {cfg.size}px, width {cfg.width}, median of {runs} runs, {torch.get_num_threads()} threads"
    fused_net, fused_twin = fuse(net), fuse(twin)
    unfused, fused = latency_ms(net, cfg.size, runs), latency_ms(fused_net, cfg.size, runs)
    twin_fused = latency_ms(fused_twin, cfg.size, runs)
    # At batch 1 per-layer overhead hides much of the MAC gap; a batch shows the arithmetic.
    batch_runs = max(5, runs // 10)
    b_net = latency_ms(fused_net, cfg.size, batch_runs, warmup=3, batch=32)
    b_twin = latency_ms(fused_twin, cfg.size, batch_runs, warmup=3, batch=32)
    bwhat = what.replace("batch 1", "batch 32").replace(f"{runs} runs", f"{batch_runs} runs")
    # What the live loop runs: the same fused graph exported to ONNX, in ONNX Runtime on one
    # thread, beside eager torch on one thread.
    # FrameNet sets (and restores) its own thread count, in either runtime.
    from .live import INFER_THREADS

    ort_ms = runtime_ms(frame_net(cfg.size), cfg.size, runs)
    torch1_ms = runtime_ms(frame_net(cfg.size, backend="torch"), cfg.size, runs)
    owhat = f"batch 1, {cfg.size}px, median of {runs} runs, {INFER_THREADS} thread, as the live loop runs it"
    return [
        Figure("model", "default net, fused, ONNX Runtime (the live loop's)", ort_ms, "ms", target=0.25, detail=owhat),
        Figure("model", "default net, fused, torch, 1 thread", torch1_ms, "ms", detail=owhat),
        Figure("model", "ONNX Runtime speed-up over torch (1 thread each)", torch1_ms / ort_ms, "x", better="higher"),
        Figure("model", "default net, unfused", unfused, "ms", detail=what),
        Figure("model", "default net, fused", fused, "ms", target=1.5, detail=what),
        Figure("model", "standard-conv twin, fused", twin_fused, "ms", detail=what),
        Figure("model", "fusion speed-up (unfused / fused)", unfused / fused, "x", better="higher"),
        Figure("model", "separable speed-up at batch 1 (twin / default)", twin_fused / fused, "x", better="higher"),
        Figure("model", "default net, fused, batch 32", b_net, "ms", detail=bwhat),
        Figure("model", "standard-conv twin, fused, batch 32", b_twin, "ms", detail=bwhat),
        Figure("model", "separable speed-up at batch 32 (twin / default)", b_twin / b_net, "x", better="higher"),
    ]


def bench_capture(ctx: Context) -> list[Figure]:
    """Frames per second through `gesture capture` from a 640x480 video: read, queue, JPEG, manifest."""
    from . import replay
    from .capture import CaptureConfig, capture
    from .synth import parse_script, scripted_frames

    n, repeats = 100 if ctx.quick else 300, 3
    with tempfile.TemporaryDirectory() as tmp:
        clip = replay.write_video((f for f, _ in scripted_frames(parse_script(f"palm x{n}, seed=5, size=640x480"))),
                                  Path(tmp) / "clip.mp4")
        rates = []
        for r in range(repeats):
            cfg = CaptureConfig("palm", count=n, source=str(clip), data=Path(tmp) / f"data{r}", session="bench",
                                fps=0, preview=False)
            t = time.perf_counter()
            res = capture(cfg, log=lambda *a: None, progress=False)
            rates.append(len(res.written) / (time.perf_counter() - t))
    return [Figure("capture", "capture write rate, 640x480 video", statistics.median(rates), "frames/s",
                   target=100, better="higher",
                   detail=f"median of {repeats} captures of {n} frames from an mp4v file, JPEG quality 95, headless")]


def bench_train(ctx: Context) -> list[Figure]:
    """The accuracy targets on real data, each split as its README prescribes, trained as `gesture train` does."""
    from . import protocols

    if not _have_datasets(ctx, "train"):
        return []
    root = ctx.datasets
    mach = f"{cores()} cores, no GPU"
    data, pcfg, decode_s, cfg = protocols.load(root / "asl-frames", ctx.train_config())
    ctx.log(f"[train] asl-frames: {len(data.samples)} frames decoded and their hands found in {decode_s:.1f} s; "
            f"training at {cfg.size}px, width {cfg.width}, {cfg.epochs or f'{cfg.steps} steps'} per split")
    folds = []
    for k in range(1 if ctx.quick else 5):
        r = protocols.holdout(f"block fold {k}", data, protocols.asl_block(k), cfg, pcfg, ctx.progress, keep_model=k == 0)
        ctx.log(f"  block fold {k}: {r.accuracy:.3f} on {r.test_frames} held-out frames, {r.train_seconds:.0f} s, {r.epochs} epochs")
        if k == 0:  # the live-loop replays use this model on this fold's held-out frames
            ctx.fold0 = (data, pcfg, r.model)
            r.model = None
        folds.append(r)
    late = protocols.holdout("late", data, protocols.asl_late, cfg, pcfg, ctx.progress)
    ctx.log(f"  late: {late.accuracy:.3f} on {late.test_frames} frames, {late.train_seconds:.0f} s")
    ddata, dpcfg, _, dcfg = protocols.load(root / "sign-digits", ctx.train_config())
    digits = protocols.holdout("person", ddata, protocols.digits_person, dcfg, dpcfg, ctx.progress)
    ctx.log(f"  digits: {digits.accuracy:.3f} on {digits.test_frames} frames, {digits.train_seconds:.0f} s")
    block = statistics.mean(r.accuracy for r in folds)
    ctx.accuracy.update({"block": block, "late": late.accuracy, "digits": digits.accuracy})
    per_fold = ", ".join(f"{r.accuracy:.3f}" for r in folds)
    quick = f"quick: {cfg.epochs} epochs per split, fold 0 only; " if ctx.quick else ""
    return [
        Figure("train", SPLITS["block"], block, "", target=ctx.target(0.97), better="higher",
               detail=f"{quick}folds {per_fold}; block = index // 300, fold k tests block % 5 == k; {mach}"),
        Figure("train", "asl-frames block split, slowest fold's training", max(r.train_seconds for r in folds), "s",
               target=60, detail=f"wall time of the training loop per fold ({', '.join(f'{r.train_seconds:.0f}' for r in folds)} s); "
                                 f"decoding all frames once took {decode_s:.1f} s"),
        Figure("train", SPLITS["late"], late.accuracy, "", target=ctx.target(0.93), better="higher",
               detail=f"{quick}train index <= 2000 ({late.train_frames} frames), test > 2000 ({late.test_frames})"),
        Figure("train", SPLITS["digits"], digits.accuracy, "", target=ctx.target(0.97), better="higher",
               detail=f"{quick}train file numbers < 4800 ({digits.train_frames} frames), test >= 4800 ({digits.test_frames}), "
                      f"{digits.train_seconds:.0f} s training"),
    ]


def _have_datasets(ctx: Context, section: str, need: tuple = ("asl-frames", "sign-digits")) -> bool:
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


def _replay(ctx: Context, ckpt: Path, clip: Path, keys: Path | None, tmp: Path, name: str) -> tuple[dict, list[dict]]:
    """Play a clip through the real live loop (headless, keys logged, not sent); its summary and events."""
    from . import replay
    from .keys import DryRunSender
    from .live import RunConfig, run

    log = tmp / f"{name}.jsonl"
    summary = run(RunConfig(checkpoint=ckpt, source=str(clip), keys=keys, preview=False, log=log, corrections=False),
                  sender=DryRunSender(), log=lambda *a: None)
    return summary, replay.read_events(log)


def _first_frame(ckpt: Path, clip: Path, runs: int = 3) -> Figure:
    """`gesture run` as a user starts it, in a new process: the time to its first classified frame."""
    import re
    import subprocess
    import sys

    times = []
    for _ in range(runs):
        r = subprocess.run([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ckpt), "--source", str(clip),
                            "--max-frames", "1", "--no-preview", "--dry-run"], capture_output=True, text=True)
        found = re.search(r"first frame classified ([\d.]+) s after start", r.stdout)
        if r.returncode != 0 or not found:
            raise GestureError(f"gesture run did not start: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
        times.append(float(found.group(1)))
    return Figure("run", "start of gesture run to its first classified frame", statistics.median(times), "s",
                  target=1.0, detail=f"median of {runs} new processes on a 640x480 mp4, from the package's import "
                                     "(the interpreter's own start, ~20 ms, not included); no hand prior")


def _tap_map(gestures: list[str]) -> str:
    """A key map that taps a different letter for each gesture, so every press is attributable."""
    return "[gestures]\n" + "".join(f'{g} = "{chr(ord("a") + i)}"\n' for i, g in enumerate(gestures))


def bench_run(ctx: Context) -> list[Figure]:
    """The live loop on replays: speed on a 640x480 clip; latency, false presses and open-set presses on real frames."""
    from . import checkpoint, protocols, replay
    from .dataset import scan
    from .synth import parse_script, scripted_frames

    figures = []
    tcfg = ctx.train_config()
    n_speed = 100 if ctx.quick else 300
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # Speed does not depend on the weights: an untrained default network, as a checkpoint.
        mcfg = ModelConfig()
        speed_ck = checkpoint.save(tmp / "speed.pt", GestureNet(mcfg).eval(), [f"class{i}" for i in range(mcfg.num_classes)],
                                   "class0", PreprocessConfig(size=mcfg.size), {})
        frames = itertools.islice(scripted_frames(parse_script("seed=9, size=640x480")), n_speed)
        clip = replay.write_video((f for f, _ in frames), tmp / "speed.mp4")
        runs = [_replay(ctx, speed_ck, clip, None, tmp, f"speed{i}")[0] for i in range(3)]
        mid = sorted(runs, key=lambda r: r["ms_per_frame"]["p50"])[1]
        ms = mid["ms_per_frame"]["p50"]
        stages = ", ".join(f"{k} {v['p50']:.2f}" for k, v in mid["stages_ms"].items())
        what = f"{mid['frames']} frames of a 640x480 mp4 replay, headless, median of 3 replays; per-stage p50 ms: {stages}"
        figures += [
            Figure("run", "640x480 replay, processing per frame (p50)", ms, "ms", target=3.0, detail=what),
            Figure("run", "640x480 replay, preprocessing per frame (p50)", mid["stages_ms"]["preprocess"]["p50"], "ms",
                   target=0.3, detail="crop, resize, colour order and per-image standardisation in OpenCV and NumPy"),
            Figure("run", "640x480 replay, processing per frame without reading it (p50)", mid["processing_ms_p50"],
                   "ms", target=0.6, detail="the same replay: hand, preprocess, infer, decide and draw, no file read; "
                                             "the checkpoint has no hand prior, so every frame goes through the network"),
            Figure("run", "a 30 fps camera's cost, share of one core", ms * 30 / 10, "%", target=10.0,
                   detail="per-frame processing x 30 frames/s"),
        ]

        figures.append(_first_frame(speed_ck, clip))

        root = ctx.datasets / "asl-frames" if ctx.datasets else None
        if root is None or not root.is_dir():
            ctx.log(f"[run] latency and open-set replays skipped: no asl-frames at {ctx.datasets}")
            return figures
        gestures = ["A", "B", "L", "V", "W", "Y"]
        keymap = tmp / "keys.toml"

        # Latency and false presses: a model trained on block fold 0's training side replays
        # fold 0's held-out frames, every gesture between stretches of "nothing".
        test = protocols.asl_block(0)
        if ctx.fold0 is not None:  # trained by the train section; nothing after this needs its frames
            (data, pcfg, fold0), ctx.fold0 = ctx.fold0, None
        else:  # the train section did not run: train fold 0's model here
            data, pcfg, _, fcfg = protocols.load(root, tcfg)
            _, fold0 = protocols.train_on(data, [i for i, s in enumerate(data.samples) if not test(s)], fcfg, pcfg,
                                          ctx.progress)
        ck = checkpoint.write(tmp / "fold0.pt", fold0)
        held = {g: [s for s in data.samples if test(s) and s.label == g] for g in data.labels}
        nothing = held["nothing"]
        parts = []
        for k, g in enumerate(gestures):
            parts += [("nothing", [nothing[(20 * k + i) % len(nothing)] for i in range(20)]), (g, held[g])]
        parts.append(("nothing", nothing[:20]))
        frames, segments = replay.build(parts)
        keymap.write_text(_tap_map(gestures))
        _, events = _replay(ctx, ck, replay.write_video(frames, tmp / "latency.mp4"), keymap, tmp, "latency")
        s = replay.score(events, segments, "nothing", set(gestures))
        comp = (f"{len(frames)} frames at 30 fps: each of {', '.join(gestures)} as its {min(x.length for x in segments if x.label != 'nothing')}"
                f"-{max(x.length for x in segments if x.label != 'nothing')} held-out block-fold-0 frames in time order, "
                f"between 7 stretches of 20 held-out 'nothing' frames; model trained on the other folds")
        figures += [
            Figure("run", "latency: slowest gesture, frames from its first frame to its key", s["max_delay"] if s["max_delay"] is not None else 999,
                   "frames", target=ctx.target(3), detail=f"per gesture {s['delays']}, missed {s['missed'] or 'none'}, "
                                              f"wrong-gesture presses {s['wrong_presses']}, repeat presses {s['repeat_presses']}; {comp}"),
            Figure("run", "false presses during 'nothing' stretches", s["false_presses"], "presses", target=ctx.target(0),
                   detail=f"{s['none_frames']} 'nothing' frames in the replay above"),
        ]

        # Open set: trained on four gestures and nothing, shown the other two for the first time.
        known, unknown = ["A", "B", "L", "V", "nothing"], ["W", "Y"]
        data2, pcfg2, _, ocfg = protocols.load(root, tcfg, labels=known)
        _, open_ck = protocols.train_on(data2, list(range(len(data2.samples))), ocfg, pcfg2, ctx.progress)
        ck2 = checkpoint.write(tmp / "open.pt", open_ck)
        everything = scan(root).samples
        by = {g: [s for s in everything if s.label == g] for g in unknown + ["nothing"]}
        hold = 3  # each real frame for 0.1 s: 200 frames make a gesture held for 20 s
        parts = [("nothing", by["nothing"][:20]), ("W", by["W"]), ("nothing", by["nothing"][20:40]),
                 ("Y", by["Y"]), ("nothing", by["nothing"][40:60])]
        frames, segments = replay.build(parts, hold=hold)
        keymap.write_text(_tap_map(known[:4]))
        _, events = _replay(ctx, ck2, replay.write_video(frames, tmp / "open.mp4"), keymap, tmp, "open")
        s2 = replay.score(events, segments, "nothing", set(known))
        figures.append(Figure(
            "run", "open set: key presses per 1000 frames of gestures never trained on", s2["unknown_per_1000"], "per 1000",
            target=ctx.target(1.0), detail=f"{s2['unknown_presses']} presses in {s2['unknown_frames']} frames ({s2['unknown_by_gesture'] or 'none'}); "
                               f"model trained on all frames of {', '.join(known)}; replay: all 200 W and 200 Y frames in "
                               f"time order, each shown {hold} times, between stretches of 'nothing'"))
    return figures


def frame_net(size: int, backend: str = "onnx"):
    """An untrained default network as the live loop runs it (speed does not depend on the weights)."""
    from .checkpoint import Checkpoint
    from .live import INFER_THREADS
    from .runtime import FrameNet, export

    model = GestureNet(ModelConfig(size=size)).eval()
    ck = Checkpoint(model, [f"class{i}" for i in range(model.cfg.num_classes)], None, PreprocessConfig(size=size), {},
                    onnx=export(model))
    return FrameNet(ck, threads=INFER_THREADS, prefer=backend)


def gesture_ms(frames: list, pcfg) -> float:
    """gesture's time per frame as the live loop spends it without a hand: preprocess + the network in
    ONNX Runtime, one thread."""
    from .preprocess import preprocess

    net = frame_net(pcfg.size)
    times = []
    for f in frames[:20]:  # warm-up
        net.probs(preprocess(f, pcfg))
    for f in frames:
        t = time.perf_counter()
        net.probs(preprocess(f, pcfg))
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def runtime_ms(net, size: int, runs: int, warmup: int = 50) -> float:
    """Median time of a runtime.FrameNet on one standardised frame, as the live loop calls it."""
    x = np.random.default_rng(0).standard_normal((1, 3, size, size)).astype(np.float32)
    return median_ms(lambda: net.probs(x), runs, warmup)


def _webcam_frame(img: np.ndarray) -> np.ndarray:
    """A square dataset frame as a 640x480 webcam frame: scaled to 480x480, padded at the sides."""
    return cv2.copyMakeBorder(cv2.resize(img, (480, 480)), 0, 0, 80, 80, cv2.BORDER_REPLICATE)


def bench_peer(ctx: Context) -> list[Figure]:
    """The landmark peer (MediaPipe lite + MLP) on the same frames and splits, beside gesture."""
    from . import peer

    python = peer.peer_python()
    if python is None:
        ctx.log(f"[peer] skipped: no {peer.PEER_VENV.name} (make it with scripts/peer-setup)")
        return []
    if not _have_datasets(ctx, "peer"):
        return []
    try:
        return _peer_figures(ctx, python)
    except GestureError as e:  # a broken peer must not take every other figure with it
        ctx.log(f"[peer] skipped: {e}")
        return []


def _peer_figures(ctx: Context, python: Path) -> list[Figure]:
    from . import peer, protocols
    from .dataset import scan
    from .images import read_image
    from tqdm import tqdm

    root = ctx.datasets
    step = 3 if ctx.quick else 1  # quick: every third frame of each dataset
    splits = {"block": ("asl-frames", [protocols.asl_block(k) for k in range(1 if ctx.quick else 5)]),
              "late": ("asl-frames", [protocols.asl_late]),
              "digits": ("sign-digits", [protocols.digits_person])}
    figures, peer_ms, ours_ms, found = [], [], [], {}
    landmarks = {}
    pcfg = PreprocessConfig(size=ModelConfig.size)  # gesture's timing: the whole-frame network at its full size
    for name in ("asl-frames", "sign-digits"):
        ds = scan(root / name)
        samples = ds.samples[::step]
        with tqdm(total=len(samples), desc=f"MediaPipe on {name}", unit="frame", disable=not ctx.progress) as bar:
            lm = peer.extract(samples, python, complexity=0, progress=bar)
        landmarks[name] = (samples, lm, sorted({s.label for s in samples}), ds.none_label)
        peer_ms += list(lm.ms)
        ours_ms.append(gesture_ms([read_image(s.path) for s in samples[:200]], pcfg))
        hands = np.array([s.label != ds.none_label for s in samples])
        found[name] = (float(lm.found[hands].mean()), int(hands.sum()), float(lm.found[~hands].mean()) if (~hands).any() else None)
        ctx.log(f"[peer] {name}: {lm.version} found a hand in {found[name][0]:.1%} of {hands.sum()} frames that show one, "
                f"{statistics.median(lm.ms):.1f} ms median")
    # Live, the peer tracks the hand from frame to frame and runs palm detection only when it
    # loses it, which is much cheaper than still images: time that too, at a webcam's size.
    asl, _, _, asl_none = landmarks["asl-frames"]
    by_label = {}
    for s in sorted(asl, key=lambda s: (s.label, s.index)):
        if s.label != asl_none:
            by_label.setdefault(s.label, []).append(s)
    clip = [_webcam_frame(read_image(s.path)) for group in by_label.values() for s in group[:50 // step]]
    with peer.LandmarkWorker(python, complexity=0, video=True) as w:
        live_ms = statistics.median([w.landmarks(f)[1] for f in clip])
    g_live = gesture_ms(clip, pcfg)

    mlp_ms = []
    results = {}
    for key, (name, tests) in splits.items():
        samples, lm, labels, none_label = landmarks[name]
        rs = [peer.holdout(samples, lm, labels, none_label, t) for t in tests]
        mlp_ms += [r.mlp_ms for r in rs]
        results[key] = (statistics.mean(r.accuracy for r in rs), statistics.mean(r.no_hand for r in rs),
                        sum(r.test_frames for r in rs), [r.accuracy for r in rs])
    p_ms = statistics.median(peer_ms) + statistics.median(mlp_ms)
    g_ms = statistics.median(ours_ms)
    mach = f"{cores()} cores, torch {torch.__version__}, {landmarks['asl-frames'][1].version}"
    quick = "quick: every third frame, one block fold; " if ctx.quick else ""
    figures += [
        Figure("peer", "peer (MediaPipe lite + MLP), ms per frame", p_ms, "ms", compare=g_ms,
               detail=f"{quick}median over every frame of asl-frames (200x200) and sign-digits (100x100) as still "
                      f"images; MediaPipe's own threads; MLP {statistics.median(mlp_ms):.3f} ms; gesture: preprocess + "
                      f"fused model on the first 200 of those frames of each set, 1 thread as in the live loop; {mach}"),
        Figure("peer", "gesture speed-up over the peer (peer ms / gesture ms)", p_ms / g_ms, "x", target=3.0,
               better="higher", detail=f"{p_ms:.2f} ms against {g_ms:.2f} ms per frame"),
        Figure("peer", "peer tracking a hand in video, 640x480, ms per frame", live_ms + statistics.median(mlp_ms), "ms",
               compare=g_live, detail=f"{quick}MediaPipe lite in video mode on {len(clip)} asl-frames frames, each "
                                      f"gesture's in time order, scaled to 480x480 and padded to 640x480; gesture: "
                                      f"preprocess + fused model on the same frames, 1 thread"),
        Figure("peer", "gesture speed-up over the tracking peer", (live_ms + statistics.median(mlp_ms)) / g_live, "x",
               target=20.0, better="higher", detail=f"{live_ms + statistics.median(mlp_ms):.2f} ms against {g_live:.2f} ms per frame (gesture without a hand: preprocess + the network in ONNX Runtime)"),
    ]
    for key, (acc, no_hand, n, per) in results.items():
        name = splits[key][0]
        ours = ctx.accuracy.get(key)
        folds = f"; per fold {', '.join(f'{a:.3f}' for a in per)}" if len(per) > 1 else ""
        none_label = landmarks[name][3]
        counted = ("no-gesture frames included; every frame without a hand is predicted as the no-gesture class"
                   if none_label else "each counted as wrong: this data set has no no-gesture class")
        figures.append(Figure("peer", "peer: " + SPLITS[key], acc, "", compare=ours,
                              detail=f"{quick}{n} test frames; MediaPipe found no hand in {no_hand:.1%} of them "
                                     f"({counted}){folds}"))
        if ours is not None:
            figures.append(Figure("peer", f"gesture / peer accuracy, {key} split", ours / acc if acc else float("inf"),
                                  "x", target=ctx.target(1.0), better="higher",
                                  detail=f"gesture {ours:.3f}, peer {acc:.3f}"))
        else:
            ctx.log(f"[peer] no gesture figure for the {key} split to compare with: run the train section too")
    for name, (f, n, on_empty) in found.items():
        empty = "" if on_empty is None else f"; it found a 'hand' in {on_empty:.1%} of the no-gesture frames"
        figures.append(Figure("peer", f"peer: frames of {name} showing a hand where none was found", 1 - f, "",
                              detail=f"{quick}{n} frames with a hand; MediaPipe lite, min detection confidence 0.5{empty}"))
    return figures


def bench_prior(ctx: Context) -> list[Figure]:
    from .bench_prior import bench_prior as figures  # its own module: it imports Figure from here

    return figures(ctx)


def bench_correct(ctx: Context) -> list[Figure]:
    from .bench_correct import bench_correct as figures

    return figures(ctx)


def bench_meaning(ctx: Context) -> list[Figure]:
    from .bench_meaning import bench_meaning as figures

    return figures(ctx)


def bench_presses(ctx: Context) -> list[Figure]:
    from .bench_presses import bench_presses as figures

    return figures(ctx)


SECTIONS = {
    "model": bench_model,
    "capture": bench_capture,
    "train": bench_train,
    "run": bench_run,
    "peer": bench_peer,
    "prior": bench_prior,
    "correct": bench_correct,
    "meaning": bench_meaning,
    "presses": bench_presses,
}


def run(sections: list[str], ctx: Context) -> dict:
    torch.set_num_threads(cores())
    info = machine()
    figures: list[Figure] = []
    for name in sections:
        figures += SECTIONS[name](ctx)
    return {"machine": info, "quick": ctx.quick, "figures": figures}


def format_results(res: dict) -> str:
    m = res["machine"]
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} ({m['torch_threads']} threads)"
             + ("; --quick: reduced, accuracy and latency figures carry no target" if res.get("quick") else ""), ""]
    section = None
    for f in res["figures"]:
        if f.section != section:
            section = f.section
            lines.append(f"[{section}]")
        target = "" if f.target is None else f"target {'<=' if f.better == 'lower' else '>='} {f.target:g} {f.unit}: " + (
            "met" if f.met else "MISSED")
        vs = "" if f.compare is None else f"(gesture {f.compare:.3f}, peer/gesture {f.ratio:.2f}x) "
        lines.append(f"  {f.name:<52} {f.value:>9.3f} {f.unit:<4} {vs}{target}")
        if f.detail:
            lines.append(f"      {f.detail}")
    return "\n".join(lines)


def to_json(res: dict) -> str:
    m = res["machine"]
    where = f"{m['cpu']}, {m['cores']} cores, torch {m['torch']}"
    return json.dumps({"machine": m, "quick": res.get("quick", False), "figures": [
        {**asdict(f), "ratio": f.ratio, "met": f.met, "machine": where} for f in res["figures"]]}, indent=2)
