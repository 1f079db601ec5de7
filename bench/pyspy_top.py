"""Summarises a py-spy raw profile (`py-spy record -p PID -f raw -o prof.txt`): the functions
that take the most samples, by their own time and with what they call.

    python -m bench.pyspy_top prof.txt [how many]
"""

from __future__ import annotations

import sys
from collections import Counter


def main() -> None:
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    with open(path) as f:
        for row in f:
            stack, count_text = row.rsplit(" ", 1)
            count = int(count_text)
            samples += count
            frames = stack.split(";")
            own[frames[-1]] += count
            for frame in set(frames):
                total[frame] += count
    print(f"{samples} samples")
    print("\nown time:")
    for frame, count in own.most_common(top // 2):
        print(f"{count / samples:6.1%}  {frame[:150]}")
    print("\nwith callees:")
    for frame, count in total.most_common(top):
        print(f"{count / samples:6.1%}  {frame[:150]}")


if __name__ == "__main__":
    main()
