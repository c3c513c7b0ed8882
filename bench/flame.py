"""Summarise a py-spy `--format raw` profile: top frames by own and total time.

python -m bench.flame bench/results/profile-checkout.txt [filter]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def summarise(path: Path, needle: str = "", top: int = 40) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if needle and not any(needle in f for f in frames):
            continue
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    out = [f"{samples} samples"]
    out.append("-- own time")
    out += [f"{100 * c / samples:5.1f}%  {f}" for f, c in own.most_common(top)]
    out.append("-- total time")
    out += [f"{100 * c / samples:5.1f}%  {f}" for f, c in total.most_common(top)]
    return "\n".join(out)


if __name__ == "__main__":
    print(summarise(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else ""))
