"""Media made and read by ffmpeg, for the local Polly, Bedrock video and MediaConvert.

The ffmpeg binary is the one the ``imageio-ffmpeg`` wheel ships (with libx264, AAC,
libmp3lame and libvorbis), so nothing is downloaded at run time and no system package is
needed. That wheel ships no ffprobe: :func:`probe` reads the facts ffmpeg prints about its
input (``ffmpeg -i``), which is all the local services and their tests need.
"""

from __future__ import annotations

import re
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

# A person reads about 150 words a minute; the local Polly's audio lasts that long.
WORDS_PER_MINUTE = 150
MIN_SPEECH_SECONDS = 0.5
FFMPEG_TIMEOUT_SECONDS = 300.0
_FPS = re.compile(r", (\d+(?:\.\d+)?) fps")
_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+)[^\n]*?, (\d{2,5})x(\d{2,5})")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+)[^\n]*?, (\d+) Hz, ([\w.()]+)")
# Polly's output formats: (ffmpeg encoder, container, MIME type, default sample rate).
AUDIO_FORMATS = {
    "mp3": ("libmp3lame", "mp3", "audio/mpeg", 22050),
    "ogg_vorbis": ("libvorbis", "ogg", "audio/ogg", 22050),
    "pcm": ("pcm_s16le", "s16le", "audio/pcm", 16000),
}


class MediaError(Exception):
    """ffmpeg refused or failed; the message is ffmpeg's last lines (what went wrong)."""


@dataclass(frozen=True)
class MediaFacts:
    """What ffmpeg reports about a file. Codecs are ffmpeg's names (``h264``, ``aac``)."""

    duration: float
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: str | None = None


def ffmpeg(*args: str, timeout: float = FFMPEG_TIMEOUT_SECONDS) -> None:
    """Run ffmpeg quietly; :class:`MediaError` with its complaint when it fails."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise MediaError(f"ffmpeg took longer than {timeout:.0f} s") from err
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise MediaError(" / ".join(tail) or f"ffmpeg exited with {done.returncode}")


def probe(path: Path) -> MediaFacts:
    """The facts ffmpeg prints about ``path``; :class:`MediaError` if it is not media."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)]
    done = subprocess.run(command, capture_output=True, timeout=60, check=False)
    report = done.stderr.decode(errors="replace")
    duration = _DURATION.search(report)
    if duration is None:
        tail = report.strip().splitlines()[-1:] or ["no output"]
        raise MediaError(f"{path.name} is not media ffmpeg can read: {tail[0]}")
    hours, minutes, seconds = duration.groups()
    video, audio = _VIDEO.search(report), _AUDIO.search(report)
    return MediaFacts(
        duration=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
        video_codec=video.group(1) if video else None,
        width=int(video.group(2)) if video else None,
        height=int(video.group(3)) if video else None,
        fps=float(fps.group(1)) if (fps := _FPS.search(report)) else None,
        audio_codec=audio.group(1) if audio else None,
        sample_rate=int(audio.group(2)) if audio else None,
        channels=audio.group(3) if audio else None,
    )


def speech_seconds(text: str) -> float:
    """How long the local Polly speaks ``text`` (words at :data:`WORDS_PER_MINUTE`)."""
    return max(MIN_SPEECH_SECONDS, len(text.split()) * 60 / WORDS_PER_MINUTE)


def make_speech(text: str, output_format: str, sample_rate: int, target: Path) -> None:
    """Audio standing in for ``text`` read aloud: a voice-pitched tone pulsing at a
    syllable rate, lasting :func:`speech_seconds`, in one of :data:`AUDIO_FORMATS`."""
    encoder, container, _, _ = AUDIO_FORMATS[output_format]
    pitch = 120 + zlib.crc32(text.encode()) % 100
    source = f"sine=frequency={pitch}:sample_rate={sample_rate}:duration={speech_seconds(text)}"
    ffmpeg(
        *("-f", "lavfi", "-i", source),
        *("-af", "tremolo=f=4:d=0.8", "-ac", "1", "-ar", str(sample_rate)),
        *("-c:a", encoder, "-f", container, str(target)),
    )


def make_clip(prompt: str, seconds: float, width: int, height: int, target: Path) -> None:
    """A silent H.264 MP4 standing in for a generated video: a moving test pattern whose
    hue follows the prompt (so different prompts give visibly different clips), 24 fps."""
    hue = zlib.crc32(prompt.encode()) % 360
    source = f"testsrc2=size={width}x{height}:rate=24:duration={seconds}"
    ffmpeg(
        *("-f", "lavfi", "-i", source, "-vf", f"hue=h={hue}"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *("-movflags", "+faststart", str(target)),
    )
