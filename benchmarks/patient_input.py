"""How long hostile patient input takes to refuse, against the cost of reading it.

    .venv/bin/python benchmarks/patient_input.py

Cases (each the best of a few runs):

- ``read``: the strict YAML reader alone over the text (the baseline: positions of every
  value, which any located diagnostic needs);
- ``unknown_keys``: ``patient_from_text`` of a .json file with 60,000 unknown keys (issue 8
  defect 9): the reading, then at most 200 diagnostics with one did-you-mean each;
- ``valid``: ``patient_from_text`` of an example patient (the everyday case).

The ratio ``unknown_keys / read`` says what the diagnostics add to the reading.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from visitation._patient_io import patient_from_text
from visitation._yaml import load_yaml
from visitation.errors import PatientFileError

ROOT = Path(__file__).resolve().parents[1]


def best(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    text = ("{\n" + ",\n".join(f'"k{i}":1' for i in range(60_000)) + "\n}").encode()
    example = (ROOT / "examples" / "eligible-cancer-hospice.yaml").read_bytes()

    def refuse() -> None:
        try:
            patient_from_text(text, path="many.json")
        except PatientFileError as exc:
            if len(exc.diagnostics) != 200:  # pragma: no cover
                raise AssertionError(f"{len(exc.diagnostics)} diagnostics, not 200") from None
        else:  # pragma: no cover
            raise AssertionError("60,000 unknown keys were accepted")

    read = best(lambda: load_yaml(text, path="many.json"))
    unknown = best(refuse)
    valid = best(lambda: patient_from_text(example, path="p.yaml"), runs=200)
    print(f"{'case':<14}{'seconds':>10}")
    print(f"{'read':<14}{read:>10.3f}")
    print(f"{'unknown_keys':<14}{unknown:>10.3f}   ({unknown / read:.2f}x read)")
    print(f"{'valid':<14}{valid * 1e6:>9.0f}µ")


if __name__ == "__main__":
    main()
