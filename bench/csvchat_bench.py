"""csvchat against seed 003's targets, on this machine, with baselines from the same run.

1. Schema inference on 1 MB, 100 MB and 1 GB files: the head read (at most 1 MB) and
   inferred; the target is constant time, at most 0.5 s each (ratio 1 GB / 1 MB ~ 1).
2. A 100 MB file uploaded to the local stack through the API's presigned multipart parts
   (parallel, as ``python -m ops.csvchat upload`` sends them): seed target < 30 s; baseline:
   one plain PUT of the same bytes to the same local S3.
3. Upload complete -> table ready (the bucket's notification, the processing worker,
   inference, Glue): seed target < 10 s, aim <= 2 s.
4. A GROUP BY over the 100 MB dataset through the local Athena (the API's query route):
   seed target < 3 s; first run (the object read from S3 once) and warm runs; baseline:
   DuckDB on the same file on disk, no Athena protocol around it.
5. Chat replies over the same dataset (the Bedrock fake on the local AWS endpoint), N
   distinct questions (so none is answered from the cache): the reply's time split into
   model, guard, query and formatting as the API reports it (``elapsed_ms``), p50 and p95,
   against the seed's targets (whole reply < 2 s, query < 3 s) as ratios.

Big files are generated here (a repeated block), in a temporary folder, never in tests.
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import duckdb

from infra.registry import add_app_paths

add_app_paths()

from chalicelib.csvchat.inference import HEAD_BYTES, infer_schema  # noqa: E402
from devstack.launch import launch  # noqa: E402
from ops.csvchat import Session, send_file, sign_in, wait_ready  # noqa: E402

MB = 1 << 20
SIZES = {"1 MB": MB, "100 MB": 100 * MB, "1 GB": 1024 * MB}
HEADER = b"region,product,price,units,sold_on,note\n"
QUESTIONS = 12
# Seed 003's targets, in ms: what the reply and the query are compared with.
TARGETS_MS = {"total": 2000, "query": 3000}


def block(size: int) -> bytes:
    """Rows of sales data, about ``size`` bytes."""
    pick = random.Random(14)
    rows = []
    total = 0
    while total < size:
        row = (
            f"{pick.choice(['north', 'south', 'east', 'west'])},p{pick.randint(1, 500)},"
            f"{pick.random() * 100:.2f},{pick.randint(1, 9)},2026-{pick.randint(1, 12):02d}-"
            f'{pick.randint(1, 28):02d},"a note, with a comma"\n'
        ).encode()
        rows.append(row)
        total += len(row)
    return b"".join(rows)


def write(path: Path, size: int, unit: bytes) -> None:
    with path.open("wb") as out:
        out.write(HEADER)
        written = len(HEADER)
        while written + len(unit) <= size:
            out.write(unit)
            written += len(unit)


def bench_inference(folder: Path, unit: bytes) -> None:
    print("1. schema inference (head of at most 1 MB)")
    seconds: dict[str, float] = {}
    for label, size in SIZES.items():
        path = folder / f"{label.replace(' ', '')}.csv"
        write(path, size, unit)
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            with path.open("rb") as file:
                schema = infer_schema(file.read(HEAD_BYTES), path.stat().st_size)
            runs.append(time.perf_counter() - started)
        seconds[label] = statistics.median(runs)
        print(
            f"   {label:>6}: {seconds[label] * 1000:6.1f} ms (target <= 500), "
            f"{len(schema.columns)} columns, ~{schema.row_estimate:,} rows"
        )
        if size > 100 * MB:
            path.unlink()
    print(f"   ratio 1 GB / 1 MB: {seconds['1 GB'] / seconds['1 MB']:.2f} (constant: ~1)")


def bench_stack(folder: Path, unit: bytes) -> None:
    path = folder / "100MB.csv"
    (folder / "stack").mkdir()
    stack = launch(folder / "stack", timeout=120)
    try:
        description = stack.description
        demo = description["demo"]["users"][0]
        region, endpoint = description["region"], description["aws_endpoint"]
        token = sign_in(
            region,
            endpoint,
            description["cognito"]["client_id"],
            demo["username"],
            demo["password"],
        )
        session = Session(description["apps"]["csvchat"], token)
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        bucket = next(
            b["Name"] for b in s3.list_buckets()["Buckets"] if "csvchat-uploads" in b["Name"]
        )
        started = time.perf_counter()
        s3.put_object(Bucket=bucket, Key="bench/plain.csv", Body=path.read_bytes())
        plain = time.perf_counter() - started

        print("2. 100 MB upload through presigned multipart parts")
        started = time.perf_counter()
        dataset_id = send_file(session, path, "text/csv")
        uploaded = time.perf_counter()
        dataset = wait_ready(session, dataset_id)
        ready = time.perf_counter()
        print(
            f"   {uploaded - started:.2f} s (target < 30 s); baseline, one PUT: {plain:.2f} s "
            f"(ratio {(uploaded - started) / plain:.2f})"
        )
        print("3. upload complete -> table ready")
        print(f"   {ready - uploaded:.2f} s (target < 10 s, aim <= 2 s): {dataset['status']}")

        print("4. GROUP BY over the 100 MB dataset through the local Athena")
        sql = (
            f"SELECT region, count(*) AS n, avg(price) AS avg_price, sum(units) AS units "
            f"FROM {dataset['table']} GROUP BY region ORDER BY region"
        )
        runs = []
        for _ in range(4):
            began = time.perf_counter()
            answer: dict[str, Any] = session.call(
                "POST", f"/datasets/{dataset_id}/query", {"sql": sql}
            )
            runs.append(time.perf_counter() - began)
        began = time.perf_counter()
        duckdb.connect().execute(
            "SELECT region, count(*), avg(price), sum(units) "
            f"FROM read_csv('{path}') GROUP BY region"
        ).fetchall()
        direct = time.perf_counter() - began
        warm = statistics.median(runs[1:])
        print(
            f"   first {runs[0]:.2f} s, warm {warm:.2f} s (target < 3 s), {len(answer['rows'])} "
            f"groups; baseline, DuckDB on the file: {direct:.2f} s (ratio {warm / direct:.1f})"
        )
        bench_replies(session, dataset_id)
    finally:
        stack.stop()


def percentile(values: list[float], percent: float) -> float:
    """Nearest rank, as CloudWatch's pNN (what the reply alarm reads)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * percent / 100)) - 1]


def bench_replies(session: Session, dataset_id: str) -> None:
    print(f"5. chat replies over the 100 MB dataset, {QUESTIONS} distinct questions")
    chat = session.call("POST", "/chats", {"dataset_id": dataset_id})["chat_id"]
    parts: dict[str, list[float]] = {}
    for n in range(1, QUESTIONS + 1):
        question = f"top {n} by price" if n % 2 else f"how many rows where product is p{n}"
        reply = session.call("POST", f"/chats/{chat}/messages", {"question": question})
        if "refused" in reply:
            raise SystemExit(f"the guard refused {question!r}: {reply['refused']}")
        for part, ms in reply["elapsed_ms"].items():
            parts.setdefault(part, []).append(float(ms))
    for part in ("model", "guard", "query", "format", "total"):
        p50, p95 = percentile(parts[part], 50), percentile(parts[part], 95)
        target = TARGETS_MS.get(part)
        versus = f" (target < {target} ms: p95 ratio {p95 / target:.2f})" if target else ""
        print(f"   {part:<7} p50 {p50:7.0f} ms, p95 {p95:7.0f} ms{versus}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="csvchat-bench-") as tmp:
        folder = Path(tmp)
        unit = block(MB // 4)
        bench_inference(folder, unit)
        bench_stack(folder, unit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
