"""Which gzip level suits the function: ``python -m bench.compression`` (``make bench-compression``).

Pages of the demo data's sessions (``take`` 50 and 1,000, JSON and CSV) are compressed at each zlib level, side
by side with sending them as they are (level 0 here: no compression). For each: the bytes sent (base64, as
Lambda carries a binary body), the ratio, and the median time to compress on this machine and scaled to a
256 MB Lambda (which gets about 256/1,769 of a vCPU: ``LAMBDA_CPU_SHARE``). The function uses
``charging_sessions.compression.GZIP_LEVEL``.
"""

from __future__ import annotations

import statistics
import time
import zlib

from charging_sessions.compression import GZIP_LEVEL, base64_size, encoded_size
from charging_sessions.csv_export import columns_for, csv_header, csv_row
from charging_sessions.models import ChargingSession
from local_toolkit.demo_data import generate_session_list

LEVELS = (1, 2, 4, 6, 9)
LAMBDA_CPU_SHARE = 256 / 1769
"""Lambda gives CPU in proportion to memory: a full vCPU at 1,769 MB."""
REPEATS = 15


def pages() -> dict[str, str]:
    sessions = [ChargingSession.model_validate(item) for item in generate_session_list()]
    columns = columns_for(None)
    found = {}
    for take in (50, 1000):
        chosen = sessions[:take]
        take = len(chosen)  # the demo data may hold fewer
        found[f"JSON take={take}"] = "[" + ",".join(s.model_dump_json(exclude_none=True) for s in chosen) + "]"
        rows = (csv_row(s.model_dump(mode="json", exclude_none=True), columns) for s in chosen)
        found[f"CSV take={take}"] = csv_header(columns) + "".join(rows)
    return found


def compress_seconds(data: bytes, level: int) -> tuple[int, float]:
    times = []
    size = 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        size = len(compressor.compress(data) + compressor.flush())
        times.append(time.perf_counter() - started)
    return size, statistics.median(times)


def main() -> None:
    print(f"{'page':<16}{'level':>7}{'sent bytes':>12}{'ratio':>8}{'ms here':>9}{'ms @256MB':>11}")
    for name, text in pages().items():
        data = text.encode("utf-8")
        plain = encoded_size(text)
        print(f"{name:<16}{'none':>7}{plain:>12}{1.0:>8.2f}{0.0:>9.2f}{0.0:>11.2f}")
        for level in LEVELS:
            size, seconds = compress_seconds(data, level)
            sent = base64_size(size)
            mark = " <- GZIP_LEVEL" if level == GZIP_LEVEL else ""
            print(
                f"{'':<16}{level:>7}{sent:>12}{plain / sent:>8.2f}{seconds * 1000:>9.2f}"
                f"{seconds * 1000 / LAMBDA_CPU_SHARE:>11.2f}{mark}"
            )


if __name__ == "__main__":
    main()
