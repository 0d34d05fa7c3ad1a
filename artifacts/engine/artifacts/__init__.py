"""The artifact service: create, show, list, update (JSON-patch) and delete, with the rules.

The package, by job::

    service.py    ArtifactService: the facade the front doors, the CLI and the imports call
    reading.py    show and list (visibility, policy, the list query, pages and counts)
    changes.py    create and JSON-patch updates, with their hooks
    deletion.py   deleting an artifact, its quota charge and its blob data
    rules.py      what a written artifact must meet: writable fields, links, public names
    lifecycle.py  the timestamps and hook events of a status or visibility change
    rendering.py  artifact documents from their rows
"""

from __future__ import annotations

from .reading import ListLimits, Page
from .service import ArtifactService, Clock, new_uuid, utcnow

__all__ = ["ArtifactService", "Clock", "ListLimits", "Page", "new_uuid", "utcnow"]
