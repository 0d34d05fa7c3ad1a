"""Loaded by the schemathesis run (``SCHEMATHESIS_HOOKS``): media types it cannot send itself.

A tus ``PATCH`` carries raw bytes as ``application/offset+octet-stream``; they are sent as
schemathesis sends any ``application/octet-stream`` body.
"""

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
