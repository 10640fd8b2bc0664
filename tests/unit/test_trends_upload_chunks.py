"""How an upload is cut into chunks: every chunk but the last a multiple of 256 KiB, the
last whatever is left, and a resume going on from the byte after what the session holds,
wherever that falls."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from chalicelib.trends.exceptions import YouTubeUnavailableError
from chalicelib.trends.upload import (
    CHUNK_UNIT,
    DEFAULT_CHUNK_BYTES,
    Chunk,
    VideoMetadata,
    check_chunk_bytes,
    next_chunk,
    resume_offset,
)


def chunks_from(offset: int, size: int, chunk_bytes: int) -> list[Chunk]:
    """The chunks an upload sends from ``offset`` when every one is taken whole."""
    sent = []
    while offset < size:
        chunk = next_chunk(offset, size, chunk_bytes)
        sent.append(chunk)
        offset = chunk.last + 1
    return sent


@pytest.mark.parametrize(
    "size",
    [1, CHUNK_UNIT - 1, CHUNK_UNIT, CHUNK_UNIT + 1, 3 * DEFAULT_CHUNK_BYTES, 10_000_019],
)
@pytest.mark.parametrize("chunk_bytes", [CHUNK_UNIT, 3 * CHUNK_UNIT, DEFAULT_CHUNK_BYTES])
def test_the_chunks_cover_the_video_once_all_but_the_last_full(size: int, chunk_bytes: int) -> None:
    sent = chunks_from(0, size, chunk_bytes)

    assert sent[0].first == 0 and sent[-1].last == size - 1
    assert all(b.first == a.last + 1 for a, b in itertools.pairwise(sent))
    assert all(c.length == chunk_bytes and c.length % CHUNK_UNIT == 0 for c in sent[:-1])
    assert 0 < sent[-1].length <= chunk_bytes
    assert sum(c.length for c in sent) == size


def test_a_chunk_names_its_bytes_as_content_range_does() -> None:
    size = 2 * CHUNK_UNIT + 7
    last = next_chunk(2 * CHUNK_UNIT, size, CHUNK_UNIT)

    assert next_chunk(0, size, CHUNK_UNIT).content_range == f"bytes 0-{CHUNK_UNIT - 1}/{size}"
    assert last.content_range == f"bytes {2 * CHUNK_UNIT}-{size - 1}/{size}"
    assert last.length == 7


def test_a_resume_goes_on_from_the_byte_after_what_the_session_holds() -> None:
    size = 5 * CHUNK_UNIT
    held = resume_offset(f"bytes=0-{CHUNK_UNIT + 99_999}")  # a chunk cut off midway

    sent = chunks_from(held, size, 2 * CHUNK_UNIT)

    assert held == CHUNK_UNIT + 100_000
    assert sent[0].first == held
    assert [c.length for c in sent[:-1]] == [2 * CHUNK_UNIT] * (len(sent) - 1)
    assert sent[-1].last == size - 1


def test_a_session_holding_nothing_resumes_from_the_start() -> None:
    assert resume_offset(None) == 0


@pytest.mark.parametrize("header", ["bytes=100-200", "bytes=0-", "0-99", "bytes=0-x"])
def test_a_range_that_does_not_start_at_the_first_byte_is_not_trusted(header: str) -> None:
    with pytest.raises(YouTubeUnavailableError, match="Range"):
        resume_offset(header)


@pytest.mark.parametrize("chunk_bytes", [0, -CHUNK_UNIT, CHUNK_UNIT - 1, CHUNK_UNIT + 1000])
def test_a_chunk_size_off_the_256_kib_grid_is_refused(chunk_bytes: int) -> None:
    with pytest.raises(ValueError, match="multiple of 262144"):
        check_chunk_bytes(chunk_bytes)


def test_the_default_chunk_is_on_the_grid() -> None:
    check_chunk_bytes(DEFAULT_CHUNK_BYTES)
    assert DEFAULT_CHUNK_BYTES == 8 * 1024 * 1024


@pytest.mark.parametrize("offset", [-1, 100, 101])
def test_there_is_no_chunk_outside_the_video(offset: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        next_chunk(offset, 100, CHUNK_UNIT)


def test_metadata_travels_in_youtubes_camel_case() -> None:
    metadata = VideoMetadata.model_validate(
        {"snippet": {"title": "Kyoto travel", "categoryId": "19"}}
    )

    assert metadata.model_dump(mode="json", by_alias=True) == {
        "snippet": {"title": "Kyoto travel", "description": "", "tags": [], "categoryId": "19"},
        "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False},
    }


@pytest.mark.parametrize("title", ["", "x" * 101, "a <b> title"])
def test_a_title_youtube_would_refuse_is_refused_before_any_call(title: str) -> None:
    with pytest.raises(ValidationError):
        VideoMetadata.model_validate({"snippet": {"title": title}})
