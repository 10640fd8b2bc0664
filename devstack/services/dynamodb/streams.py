"""DynamoDB stream event sources, as Lambda runs them: for each mapping the program
declares, a thread reads the table's stream in the local AWS endpoint (moto's DynamoDB
Streams API) from its starting position and invokes the function through the local Lambda
service with each batch (Lambda's event: the records with their ``eventSourceARN``). A batch
the function fails (or reports failed records of) is tried again, up to the mapping's retry
attempts, then skipped with a console line, as Lambda does once its retries are spent."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from devstack.declaration import Declaration
from devstack.declared import DeclaredFunction, declared_functions

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

    from devstack.services.awslambda.service import FunctionHosts

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class StreamSource:
    function: DeclaredFunction
    stream_arn: str
    batch_size: int
    starting_position: str
    maximum_retry_attempts: int


def stream_sources(mocks: Declaration) -> list[StreamSource]:
    """Every event-source mapping of the program that reads a table's stream."""
    functions = {f.arn: f for f in declared_functions(mocks).values()}
    streams = {
        t.outputs["streamArn"]
        for t in mocks.of_type("aws:dynamodb/table:Table")
        if t.outputs.get("streamArn")
    }
    return [
        StreamSource(
            function=functions[m.inputs["functionName"]],
            stream_arn=str(m.inputs["eventSourceArn"]),
            batch_size=int(m.inputs.get("batchSize") or 100),
            starting_position=str(m.inputs.get("startingPosition") or "LATEST"),
            maximum_retry_attempts=int(m.inputs.get("maximumRetryAttempts", -1)),
        )
        for m in mocks.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
        if m.inputs["eventSourceArn"] in streams
    ]


def _plain(value: Any) -> Any:
    """Records as Lambda's JSON event carries them (times as epoch seconds)."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _reported_failures(payload: bytes) -> bool:
    """Whether the function reported failed records (``batchItemFailures``); the batch is
    then tried again whole (Lambda would start from the first one reported)."""
    try:
        answer = json.loads(payload or b"{}")
    except ValueError:
        return False
    return isinstance(answer, dict) and bool(answer.get("batchItemFailures"))


class StreamPollers:
    """One thread per stream source; ``stop`` ends them."""

    def __init__(
        self, streams: DynamoDBStreamsClient, functions: FunctionHosts, sources: list[StreamSource]
    ) -> None:
        self.streams = streams
        self.functions = functions
        self.sources = sources
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for source in self.sources:
            # The starting position is taken now, as a mapping's is when it is created.
            iterators = self._iterators(source)
            thread = threading.Thread(target=self._poll, args=(source, iterators), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _iterators(self, source: StreamSource) -> list[str]:
        shards = self.streams.describe_stream(StreamArn=source.stream_arn)["StreamDescription"][
            "Shards"
        ]
        return [
            self.streams.get_shard_iterator(
                StreamArn=source.stream_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType="TRIM_HORIZON"
                if source.starting_position == "TRIM_HORIZON"
                else "LATEST",
            )["ShardIterator"]
            for shard in shards
        ]

    def _poll(self, source: StreamSource, iterators: list[str]) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            for index, iterator in enumerate(iterators):
                response = self.streams.get_records(ShardIterator=iterator, Limit=source.batch_size)
                iterators[index] = response.get("NextShardIterator") or iterator
                records = [
                    {**_plain(r), "eventSourceARN": source.stream_arn} for r in response["Records"]
                ]
                if records:
                    self._deliver(source, records)

    def _deliver(self, source: StreamSource, records: list[dict[str, Any]]) -> None:
        payload = json.dumps({"Records": records}).encode()
        tries = 1 + (source.maximum_retry_attempts if source.maximum_retry_attempts >= 0 else 2)
        for _ in range(tries):
            result = self.functions.invoke(source.function, payload)
            if result.error_type is None and not _reported_failures(result.payload):
                return
            if self._stopping.is_set():
                return
        print(
            f"[stream] {source.function.name}: a batch of {len(records)} records failed "
            f"{tries} times; skipped",
            file=sys.stderr,
            flush=True,
        )
