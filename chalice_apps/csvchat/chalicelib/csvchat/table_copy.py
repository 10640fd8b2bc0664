"""The dataset's normalised copy: the upload read from S3 as a stream, its rows rewritten
as gzipped JSON Lines (``normalise``) and uploaded as they are made, to the one key the
Glue table's location holds (``catalog.copy_key``).

Nothing holds the file: the upload is read through a text decoder in small reads and the
copy goes up with boto3's managed transfer, a multipart upload of ``PART_BYTES`` parts
(the transfer keeps a few parts in memory, never the file; a failed transfer aborts its
multipart upload). The upload itself is left as it was.

Idempotent: the same upload and schema give the same bytes (gzip without a timestamp) at
the same key, so a retried message overwrites the copy with itself.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO, cast

from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.csvchat.inference import CsvSchema
from chalicelib.csvchat.normalise import RowWriter, gzipped, json_lines, records
from shared.errors import TransientError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from mypy_boto3_s3 import S3Client

# S3's minimum part is 5 MB; the transfer holds about ``max_concurrency`` + a few parts.
PART_BYTES = 8 << 20
TRANSFER = TransferConfig(
    multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, max_concurrency=4
)
CONTENT_TYPE = "application/gzip"


class _ChunkStream(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (what the transfer reads)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = memoryview(chunk)
        target = memoryview(buffer).cast("B")
        size = min(len(target), len(self._left))
        target[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


def write_copy(s3: S3Client, bucket: str, source: str, target: str, schema: CsvSchema) -> int:
    """Rewrite the CSV object ``source`` as the copy ``target``; returns its row count.

    Raises:
        NormaliseError: the file stops being CSV past its head (the message says where).
        TransientError: reading or writing S3 failed after retries.
    """
    writer = RowWriter(schema)
    try:
        # A StreamingBody is a readable binary file, all a TextIOWrapper reads (its stubs
        # do not say so). Only \r and \n end lines, as the csv module wants.
        body = cast("BinaryIO", s3.get_object(Bucket=bucket, Key=source)["Body"])
        text = io.TextIOWrapper(body, encoding=schema.encoding, errors="replace", newline="")
        lines = gzipped(json_lines(records(text, schema), writer))
        # A buffered reader reads whole parts from the stream: S3 refuses small parts.
        stream = io.BufferedReader(_ChunkStream(lines), buffer_size=1 << 20)
        s3.upload_fileobj(
            stream,
            bucket,
            target,
            ExtraArgs={"ContentType": CONTENT_TYPE},
            Config=TRANSFER,
        )
    except (ClientError, BotoCoreError, S3UploadFailedError) as err:
        raise TransientError(f"writing the table copy {target} failed: {err}") from err
    return writer.rows
