"""`gesture bench`: every speed and accuracy figure measured in one run, with its target.

Timings are medians over many runs after warm-up: the machine is shared and noisy, so
no single run means much, and none of this belongs in a timed unit test. `--quick` runs
every section reduced (short training, fewer repeats and frames) in under two minutes;
its accuracy and latency figures show that the pipeline works, not what it achieves, so
they carry no target.
"""
from __future__ import annotations

import json
from dataclasses import asdict

import torch

from ..config import cores
from .common import Context, Figure, machine
# Aliased, so that no section's name hides a module of the bench (bench.peer is the peer itself).
from .sections import capture, correct, meaning, model, presses, prior, train
from .sections import peer as peer_section
from .sections import run as run_section

__all__ = ["Context", "Figure", "SECTIONS", "format_results", "run", "to_json"]

# In the table's order: the peer section compares with the train section's figures.
SECTIONS = {
    "model": model.bench_model,
    "capture": capture.bench_capture,
    "train": train.bench_train,
    "run": run_section.bench_run,
    "peer": peer_section.bench_peer,
    "prior": prior.bench_prior,
    "correct": correct.bench_correct,
    "meaning": meaning.bench_meaning,
    "presses": presses.bench_presses,
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
