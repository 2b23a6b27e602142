"""`gesture bench --only starter`: the shipped starter gestures on people never seen.

As tools/build_starter.py measures it: the classes kept on development folds of the first
half of hagrid-people's people, the head trained on that half (the shipped idle hands that
came from hagrid-people left out), scored on the second half. The shipped model itself is
trained on everyone, so it is not scored on hagrid-people here.
"""
from __future__ import annotations

from ...config import cores
from ..common import Context, Figure, have_datasets


def figures(ctx: Context) -> list[Figure]:
    if not have_datasets(ctx, "starter", ("hagrid-people",)):
        return []
    from ...tools import build_starter as b

    data, _, _, _ = b.load(ctx.datasets)
    names = b.people(data)
    keep = b.choose(data, names, lambda *a: None)
    first, second = b.part(data, names, 0, 0.5), b.part(data, names, 0.5, 1.01)
    m = b.score(data, b.fit(data, first, keep, True), second, keep)
    kept = [g for g in keep if g != b.NONE]
    dropped = sorted(set(names) - set(keep))
    detail = (f"{m['images']} images of the second half of hagrid-people's people, {len(kept)} gestures kept "
              f"({', '.join(kept)}; dropped on the development folds: {', '.join(dropped)}); {cores()} cores")
    return [
        Figure("starter", "starter gestures, people never seen", m["accuracy"], "", better="higher",
               target=ctx.target(0.90), detail=detail),
        Figure("starter", "starter: idle hands read as a gesture, people never seen", m["idle_as_gesture"], "",
               target=ctx.target(0.05), detail=f"{m['idle_images']} no_gesture images of the same people"),
    ]
