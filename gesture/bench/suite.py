"""The benchmark's registry of sections and one run of them: each section is a module of
bench/sections with `figures(ctx)`, imported only when it runs, and importing only the
shared helpers of bench/common.py."""
from __future__ import annotations

import importlib
import json
import time
from dataclasses import asdict

from ..config import cores
from .common import Context, Figure, machine

__all__ = ["Context", "Figure", "SECTIONS", "format_results", "run", "to_json"]

# In the table's order: the peer section compares with the train section's figures.
SECTIONS = ("model", "capture", "train", "run", "speed", "peer", "prior", "correct", "meaning", "presses",
            "presentations", "swipes", "starter")


def section(name: str):
    """A section's `figures(ctx) -> list[Figure]`."""
    return importlib.import_module(f"{__package__}.sections.{name}").figures


def run(sections: list[str], ctx: Context) -> dict:
    import torch

    torch.set_num_threads(cores())
    info = machine()
    figures: list[Figure] = []
    for name in sections:
        t = time.monotonic()
        figures += section(name)(ctx)
        ctx.log(f"[{name}] done in {time.monotonic() - t:.0f} s")
    return {"machine": info, "quick": ctx.quick, "smoke": ctx.smoke, "figures": figures}


def format_results(res: dict) -> str:
    m = res["machine"]
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} ({m['torch_threads']} threads)"
             + ("; --smoke: the smallest sizes, the figures say nothing" if res.get("smoke") else
                "; --quick: reduced, accuracy and latency figures carry no target" if res.get("quick") else ""), ""]
    current = None
    for f in res["figures"]:
        if f.section != current:
            current = f.section
            lines.append(f"[{current}]")
        target = "" if f.target is None else (f"target {'<=' if f.better == 'lower' else '>='} {f.target:g} {f.unit}: "
                                              + ("met" if f.met else "MISSED"))
        # No ratio where gesture's own figure is 0 (a smoke run can fire nothing within the latency).
        ratio = "" if f.ratio is None else f", peer/gesture {f.ratio:.2f}x"
        vs = "" if f.compare is None else f"(gesture {f.compare:.3f}{ratio}) "
        lines.append(f"  {f.name:<52} {f.value:>9.3f} {f.unit:<4} {vs}{target}")
        if f.detail:
            lines.append(f"      {f.detail}")
    return "\n".join(lines)


def to_json(res: dict) -> str:
    m = res["machine"]
    where = f"{m['cpu']}, {m['cores']} cores, torch {m['torch']}"
    return json.dumps({"machine": m, "quick": res.get("quick", False), "smoke": res.get("smoke", False), "figures": [
        {**asdict(f), "ratio": f.ratio, "met": f.met, "machine": where} for f in res["figures"]]}, indent=2)
