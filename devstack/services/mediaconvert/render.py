"""What the local MediaConvert does with a job's settings: reads them (in MediaConvert's wire
form, camelCase) into a plan, refusing what it does not do, and renders each output with one
ffmpeg run.

As MediaConvert does, the inputs are stitched in order, each lasting as long as its video;
an input's audio is its selected audio selector (the one the output's audio description
names in ``audioSourceName``, else the ``DEFAULT`` one, else the first): an
``externalAudioFileInput`` shifted by its ``offset`` in milliseconds (negative skips the
file's start, so one narration can run across several inputs), else the input's own audio,
else silence; padded or cut to the input's length. A ``videoGenerator`` input is black video
of its ``duration``. Each output is an MP4 of H.264 video (scaled into the output's
``width`` x ``height``, letterboxed, at the H.264 settings' frame rate or the first input's)
and AAC audio (``sampleRate``, ``codingMode``, ``bitrate``). Rate control (QVBR, bitrates)
is left to x264's defaults, with its ultrafast preset: the files are to be looked at on
a laptop, and the fastest encode keeps a night of videos quick to run locally. Settings it
does not do (other containers or codecs, other output group types, clippings, overlays) are
refused at CreateJob rather than ignored.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.media import FFMPEG_TIMEOUT_SECONDS, MediaFacts, ffmpeg, probe
from devstack.rest_service import ServiceError, split_s3_uri

_REFUSED_INPUT = ("inputClippings", "imageInserter", "videoOverlays", "crop", "position")
_CHANNELS = {"CODING_MODE_1_0": 1, "CODING_MODE_2_0": 2}


def bad_request(message: str) -> ServiceError:
    return ServiceError(400, "BadRequestException", message)


@dataclass(frozen=True)
class InputPlan:
    """One input: its video (an S3 URI, or None for generated black video of
    ``generated_ms``) and its audio (an S3 URI with an offset, or its own, or none)."""

    video: str | None
    generated_ms: int
    audio: str | None
    audio_offset_ms: int
    own_audio: bool


@dataclass(frozen=True)
class OutputPlan:
    """One output file: where it goes and its encoding."""

    destination: str  # s3://bucket/key
    width: int | None
    height: int | None
    fps: float | None
    sample_rate: int
    channels: int
    audio_bitrate: int
    audio_source: str | None


def _audio_selector(selectors: dict[str, Any], name: str | None) -> dict[str, Any]:
    if name and name in selectors:
        return dict(selectors[name])
    defaults = [s for s in selectors.values() if s.get("defaultSelection") == "DEFAULT"]
    candidates = defaults or list(selectors.values())
    return dict(candidates[0]) if candidates else {}


def plan_inputs(settings: dict[str, Any], audio_source: str | None) -> list[InputPlan]:
    inputs = settings.get("inputs") or []
    if not inputs:
        raise bad_request("/settings/inputs: at least one input is required")
    plans = []
    for index, given in enumerate(inputs):
        refused = [key for key in _REFUSED_INPUT if given.get(key)]
        if refused:
            raise bad_request(f"/settings/inputs/{index}: {refused[0]} is not done locally")
        generator = given.get("videoGenerator") or {}
        if not given.get("fileInput") and not generator.get("duration"):
            raise bad_request(f"/settings/inputs/{index}: fileInput or videoGenerator required")
        if given.get("fileInput"):
            split_s3_uri(str(given["fileInput"]))
        selector = _audio_selector(given.get("audioSelectors") or {}, audio_source)
        external = selector.get("externalAudioFileInput")
        if external:
            split_s3_uri(str(external))
        plans.append(
            InputPlan(
                video=given.get("fileInput"),
                generated_ms=int(generator.get("duration") or 0),
                audio=external,
                audio_offset_ms=int(selector.get("offset") or 0),
                own_audio=not external,
            )
        )
    return plans


def _output_key(destination: str, output: dict[str, Any], first_input: str | None) -> str:
    """MediaConvert's naming: the destination's base name (the first input's name when the
    destination ends in ``/``), then ``nameModifier``, then the extension."""
    bucket, key = split_s3_uri(destination)
    if not key or key.endswith("/"):
        stem = posixpath.splitext(posixpath.basename(first_input or "video"))[0]
        key = f"{key}{stem}"
    return (
        f"s3://{bucket}/{key}{output.get('nameModifier') or ''}.{output.get('extension') or 'mp4'}"
    )


def plan_outputs(settings: dict[str, Any], first_input: str | None) -> list[OutputPlan]:
    plans = []
    for g, group in enumerate(settings.get("outputGroups") or []):
        group_settings = group.get("outputGroupSettings") or {}
        if group_settings.get("type") != "FILE_GROUP_SETTINGS":
            raise bad_request(
                f"/settings/outputGroups/{g}: only FILE_GROUP_SETTINGS is done locally"
            )
        destination = (group_settings.get("fileGroupSettings") or {}).get("destination")
        if not destination:
            raise bad_request(f"/settings/outputGroups/{g}: fileGroupSettings.destination required")
        for o, output in enumerate(group.get("outputs") or []):
            where = f"/settings/outputGroups/{g}/outputs/{o}"
            container = (output.get("containerSettings") or {}).get("container", "MP4")
            video = output.get("videoDescription") or {}
            codec = video.get("codecSettings") or {}
            audios = output.get("audioDescriptions") or [{}]
            audio = audios[0].get("codecSettings") or {"codec": "AAC"}
            if (
                container != "MP4"
                or codec.get("codec", "H_264") != "H_264"
                or audio.get("codec") != "AAC"
            ):
                raise bad_request(f"{where}: only MP4 with H_264 and AAC is done locally")
            h264, aac = codec.get("h264Settings") or {}, audio.get("aacSettings") or {}
            fps = None
            if h264.get("framerateControl") == "SPECIFIED" and h264.get("framerateDenominator"):
                fps = h264["framerateNumerator"] / h264["framerateDenominator"]
            plans.append(
                OutputPlan(
                    destination=_output_key(destination, output, first_input),
                    width=video.get("width"),
                    height=video.get("height"),
                    fps=fps,
                    sample_rate=int(aac.get("sampleRate") or 48000),
                    channels=_CHANNELS.get(aac.get("codingMode", "CODING_MODE_2_0"), 2),
                    audio_bitrate=int(aac.get("bitrate") or 96000),
                    audio_source=audios[0].get("audioSourceName"),
                )
            )
    if not plans:
        raise bad_request("/settings/outputGroups: at least one output is required")
    return plans


def render(
    inputs: list[InputPlan], output: OutputPlan, fetch: Callable[[str], Path], target: Path
) -> MediaFacts:
    """Write ``output`` to ``target``; ``fetch`` gives a local copy of an S3 URI. Returns
    what ffmpeg reads back from the file (its duration and size, for the job's details)."""
    args: list[str] = []
    facts = [probe(fetch(i.video)) if i.video else None for i in inputs]
    first = next((f for f in facts if f and f.width), None)
    width = output.width or (first.width if first else None) or 1920
    height = output.height or (first.height if first else None) or 1080
    fps = output.fps or (first.fps if first else None) or 30
    layout = "stereo" if output.channels == 2 else "mono"
    chains, count = [], 0
    for n, (given, fact) in enumerate(zip(inputs, facts, strict=True)):
        seconds = fact.duration if fact else given.generated_ms / 1000
        if given.video and fact:
            args += ["-i", str(fetch(given.video))]
            video = f"[{count}:v:0]"
            count += 1
            chains.append(
                f"{video}scale={width}:{height}:force_original_aspect_ratio=decrease,"
                f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fps},format=yuv420p[v{n}]"
            )
        else:
            chains.append(
                f"color=c=black:s={width}x{height}:r={fps}:d={seconds},format=yuv420p[v{n}]"
            )
        shape = f"aresample={output.sample_rate},aformat=channel_layouts={layout}"
        if given.audio:
            args += ["-i", str(fetch(given.audio))]
            offset = given.audio_offset_ms
            # Padded before it is cut, so an input that starts after the narration ends
            # hears silence (as MediaConvert's) instead of an empty stream ffmpeg refuses.
            shift = (
                f"apad,atrim=start={-offset / 1000}," if offset < 0 else f"adelay={offset}:all=1,"
            )
            source = f"[{count}:a:0]{shape},{shift}asetpts=PTS-STARTPTS"
            count += 1
        elif given.own_audio and fact and fact.audio_codec and given.video:
            source = f"[{count - 1}:a:0]{shape}"
        else:
            source = f"anullsrc=r={output.sample_rate}:cl={layout}"
        chains.append(f"{source},apad,atrim=duration={seconds},asetpts=PTS-STARTPTS[a{n}]")
    # A long video takes a while on a laptop: a second of encoding per second of output,
    # on top of the usual limit, before the job is called stuck.
    total = sum(
        f.duration if f else i.generated_ms / 1000 for i, f in zip(inputs, facts, strict=True)
    )
    joined = "".join(f"[v{n}][a{n}]" for n in range(len(inputs)))
    chains.append(f"{joined}concat=n={len(inputs)}:v=1:a=1[v][a]")
    ffmpeg(
        *args,
        *("-filter_complex", ";".join(chains), "-map", "[v]", "-map", "[a]"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", str(output.audio_bitrate), "-ar", str(output.sample_rate)),
        *("-ac", str(output.channels), "-movflags", "+faststart", "-f", "mp4", str(target)),
        timeout=FFMPEG_TIMEOUT_SECONDS + total,
    )
    return probe(target)
