"""Direct uploads: a file's parts sent straight to the object store, then a verified commit.

For blobs whose store takes direct uploads (S3 with ``direct_uploads``): the server hands out
presigned part URLs, the parts go to the bucket (several at once, if asked), and the commit
has the server read the joined object once through its digests and checks. The file's
sha256 is computed first and declared, so the server refuses any other bytes. After failures
the client asks which parts the bucket holds and sends only the others.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from artifacts_client.errors import (
    ClientError,
    Conflict,
    ServiceUnavailable,
    TransportError,
)
from artifacts_client.models import Artifact
from artifacts_client.paths import ArtifactLike, split
from artifacts_client.resumable import ResumableMethods
from artifacts_client.transfer import Hashes, Progress, hash_prefix

#: Seconds a part's PUT may take before it counts as failed (parts are up to 5 GiB).
PART_TIMEOUT = httpx.Timeout(30.0, read=600.0, write=600.0)


class DirectMethods(ResumableMethods):
    """The direct-upload part of :class:`artifacts_client.Client`."""

    def upload_direct(
        self,
        artifact: ArtifactLike,
        field: str,
        path: str | os.PathLike[str],
        *,
        key: str | None = None,
        content_type: str = "application/octet-stream",
        parallel: int = 4,
        failures: int = 5,
        resume: str | None = None,
        progress: Progress | None = None,
    ) -> Artifact:
        """Upload the file at ``path`` straight to the blob's object store, and verify it.

        ``parallel`` parts are sent at once. Up to ``failures`` rounds that leave parts
        unsent (a dropped connection, an expired URL) are followed by asking the server what
        the bucket holds and sending the rest. ``resume``: the id of a direct upload opened
        earlier (by another process, say) to go on with instead of opening one.
        """
        source = Path(path)
        hashes = Hashes()
        hash_prefix(source, hashes)
        local = hashes.result()
        if resume is None:
            type_name, artifact_id = split(artifact)
            body: dict[str, Any] = {
                "type_name": type_name,
                "artifact_id": artifact_id,
                "field": field,
                "size": local.size,
                "sha256": local.sha256,
                "content_type": content_type,
            }
            if key:
                body["key"] = key
            session = self.http.json("POST", "/direct-uploads", ok=(201,), json=body)
        else:
            session = self._direct_status(resume)
        upload = f"/direct-uploads/{session['id']}"
        for _ in range(failures + 1):
            sent = self._send_parts(source, session, parallel, progress)
            if sent and session["next_part"] is None:
                break
            session = self._direct_status(session["id"])
            if not session["upload_urls"]:
                break
        else:
            raise ClientError(f"parts of {upload} were still unsent after {failures} retries")
        self._commit(upload, failures)
        return self._verified(artifact, field, key, source)

    def _direct_status(self, upload_id: str) -> Any:
        return self.http.json("GET", f"/direct-uploads/{upload_id}")

    def _send_parts(
        self, source: Path, session: Any, parallel: int, progress: Progress | None
    ) -> bool:
        """PUT every part the session has URLs for; whether all of them went."""
        part_size = session["part_size"]
        total = session["size"]
        done = sum(p["size"] for p in session["uploaded_parts"])

        def put(part: Any) -> int:
            with open(source, "rb") as stream:
                stream.seek((part["number"] - 1) * part_size)
                data = stream.read(part["size"])
            try:
                answer = httpx.put(part["url"], content=data, timeout=PART_TIMEOUT)
            except httpx.TransportError:
                return 0
            return len(data) if answer.status_code == 200 else 0

        all_sent = True
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            for sent in pool.map(put, session["upload_urls"]):
                all_sent = all_sent and sent > 0
                done += sent
                if progress is not None:
                    progress(done, total)
        return all_sent

    def _commit(self, upload: str, failures: int) -> None:
        """Commit; a commit whose answer was lost is asked again (it answers the same)."""
        for attempt in range(failures + 1):
            try:
                self.http.request("POST", f"{upload}/commit")
                return
            except (TransportError, Conflict, ServiceUnavailable):
                if attempt == failures:
                    raise
                self.http.retry.sleep(self.http.retry.delay(attempt + 1))
