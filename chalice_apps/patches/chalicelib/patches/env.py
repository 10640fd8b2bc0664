"""Names of the environment variables the Pulumi program sets on patches' functions.

Infra writes them, the app reads them, tests set them; nobody spells them twice. The
platform's own variables are in ``shared.env``.
"""

from __future__ import annotations

from typing import Final

PATCHES_TABLE: Final = "PATCHES_TABLE"
DISCUSSIONS_TABLE: Final = "DISCUSSIONS_TABLE"
STATE_TABLE: Final = "PATCHES_STATE_TABLE"
MESSAGE_BODIES_BUCKET: Final = "MESSAGE_BODIES_BUCKET"
THREAD_QUEUE_URL: Final = "THREAD_QUEUE_URL"
SLICE_QUEUE_URL: Final = "SLICE_QUEUE_URL"
# JSON list of the Patchwork projects (link names) to track.
PATCHWORK_PROJECTS: Final = "PATCHWORK_PROJECTS"
# JSON object: the ingester's settings (``config.IngesterConfig``, camelCase).
INGESTER_CONFIG: Final = "PATCHES_INGESTER_CONFIG"
# Point the clients at another Patchwork instance or lore mirror (the local stack's fakes);
# unset in AWS: patchwork.kernel.org and lore.kernel.org.
PATCHWORK_URL: Final = "PATCHWORK_URL"
LORE_URL: Final = "LORE_URL"
