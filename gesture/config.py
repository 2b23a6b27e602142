"""Settings shared across commands, kept free of torch so the CLI starts fast."""
from __future__ import annotations

from dataclasses import asdict, dataclass

# One row per depthwise-separable block: (out_chs, stride). Widths are scaled by
# ModelConfig.width. Four stride-2 blocks after the stride-2 stem take 128 px down to 4x4.
STAGES = (
    (32, 2),
    (64, 2),
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
)
STEM_CHS = 16
BLOCKS = ("separable", "standard")


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round a scaled channel count to a multiple of `divisor`, never below it (as in MobileNet)."""
    return max(divisor, int(value + divisor / 2) // divisor * divisor)


@dataclass(frozen=True)
class ModelConfig:
    num_classes: int = 7
    size: int = 128  # input side in px; the net is fully convolutional, this fixes the cost report
    width: float = 1.0  # multiplies every channel count in the stage table
    dropout: float = 0.2
    stem_chs: int = STEM_CHS
    stages: tuple = STAGES
    block: str = "separable"  # "standard" builds the plain 3x3-conv twin used for the cost argument

    def __post_init__(self):
        # A checkpoint stores the table as lists; keep it hashable and comparable.
        object.__setattr__(self, "stages", tuple(tuple(int(v) for v in row) for row in self.stages))
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {self.num_classes}")
        if self.width <= 0:
            raise ValueError(f"width must be positive, got {self.width}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.block not in BLOCKS:
            raise ValueError(f"block must be one of {BLOCKS}, got {self.block!r}")
        if not 5 <= len(self.stages) <= 6:
            raise ValueError(f"the stage table needs 5 or 6 blocks, got {len(self.stages)}")
        for row in self.stages:
            if len(row) != 2 or row[0] < 1 or row[1] not in (1, 2):
                raise ValueError(f"stage rows are (out_chs >= 1, stride 1 or 2), got {row}")
        if self.size < self.min_size:
            raise ValueError(f"size must be at least {self.min_size} px for this stage table, got {self.size}")

    @property
    def min_size(self) -> int:
        # Every stride-2 layer must still see at least one pixel.
        return 2 ** (1 + sum(1 for _, s in self.stages if s == 2))

    def channels(self) -> list[int]:
        """Channel count after the stem and after each block, width multiplier applied."""
        return [make_divisible(self.stem_chs * self.width)] + [
            make_divisible(c * self.width) for c, _ in self.stages
        ]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["stages"] = [list(row) for row in self.stages]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        return cls(**d)
