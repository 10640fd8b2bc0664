"""Keywords of a video, with YAKE (unsupervised, statistical: no model or corpus to download
at run time), plus the uploader's own tags.

Keywords are normalised (lower case, single spaces, no edge punctuation) so the grouping can
compare them across videos; a phrase made only of stop words or digits is dropped.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yake  # type: ignore[import-untyped]

# Phrases of one or two words: longer ones rarely repeat across videos.
MAX_NGRAM = 2
# YAKE drops a candidate this similar to a better one already kept.
DEDUPLICATION = 0.7
# Description text beyond this adds links and credits, not topic words.
DESCRIPTION_CHARS = 600
_URL = re.compile(r"https?://\S+|www\.\S+")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_SPACES = re.compile(r"\s+")


def normalise(phrase: str) -> str:
    """``"  Official  Video!"`` -> ``"official video"``."""
    return _EDGES.sub("", _SPACES.sub(" ", phrase.lower().strip()))


@cache
def _extractor(top: int) -> yake.KeywordExtractor:
    import yake  # on first use: YAKE loads numpy

    return yake.KeywordExtractor(lan="en", n=MAX_NGRAM, dedupLim=DEDUPLICATION, top=top)


def extract_keywords(title: str, tags: tuple[str, ...], description: str, top: int) -> list[str]:
    """Up to ``top`` keywords, best first: the uploader's tags that the title also says
    (the surest sign of what a video is about), then YAKE's phrases of the title (counted
    twice), the tags and the start of the description, links removed, then the other tags.
    """
    # Tags end in a full stop each, so no phrase spans two of them.
    parts = [title, title, ". ".join(tags), description[:DESCRIPTION_CHARS]]
    text = _URL.sub(" ", "\n".join(parts))
    ranked = [normalise(phrase) for phrase, _score in _extractor(top).extract_keywords(text)]
    tagged = [normalise(tag) for tag in tags]
    heading = normalise(title)
    in_title = [t for t in tagged if t and re.search(rf"\b{re.escape(t)}\b", heading)]
    found: list[str] = []
    for phrase in [*in_title, *ranked, *tagged]:
        if phrase and not phrase.replace(" ", "").isdigit() and phrase not in found:
            found.append(phrase)
        if len(found) == top:
            break
    return found
