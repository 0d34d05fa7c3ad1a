"""oslo.versionedobjects, imported without oslo.messaging and without eventlet's noise.

``oslo_versionedobjects.base`` imports oslo.messaging for one name, at one place: its RPC
serializer subclasses ``oslo_messaging.NoOpSerializer``. Importing the package runs all of it —
notifiers, RPC servers, oslo.service, eventlet and dnspython — about 30 MB and 450 modules in
every worker of a service that does no RPC. So unless oslo.messaging is already loaded, this
module stands a small package in for it while ovo imports: one holding the real
``oslo_messaging/serializer.py``, loaded by itself from the installed distribution, so ovo's
serializer keeps the exact base class it was written against. The stand-in is removed from
``sys.modules`` afterwards, so code that imports oslo.messaging later gets the real package.

The eventlet deprecation warnings that the real import prints (when it does happen) are
silenced for this one import only, leaving the process's warning filters untouched.
"""

import importlib.util
import sys
import types
import warnings
from pathlib import Path

_MESSAGING = "oslo_messaging"


def _serializer_only() -> types.ModuleType | None:
    """A stand-in ``oslo_messaging`` with only its serializer module, or None if not found."""
    spec = importlib.util.find_spec(_MESSAGING)
    if spec is None or spec.origin is None:
        return None
    source = Path(spec.origin).with_name("serializer.py")
    serializer_spec = importlib.util.spec_from_file_location(f"{_MESSAGING}.serializer", source)
    if serializer_spec is None or serializer_spec.loader is None:
        return None
    serializer = importlib.util.module_from_spec(serializer_spec)
    serializer_spec.loader.exec_module(serializer)
    package = types.ModuleType(_MESSAGING, "oslo.messaging's serializer, as ovo needs it")
    package.serializer = serializer  # type: ignore[attr-defined]
    package.NoOpSerializer = serializer.NoOpSerializer  # type: ignore[attr-defined]
    return package


_stand_in = None if _MESSAGING in sys.modules else _serializer_only()
if _stand_in is not None:
    sys.modules[_MESSAGING] = _stand_in
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
        from oslo_versionedobjects import base as ovo_base
        from oslo_versionedobjects import fields as ovo_fields
finally:
    if _stand_in is not None and sys.modules.get(_MESSAGING) is _stand_in:
        del sys.modules[_MESSAGING]

__all__ = ["ovo_base", "ovo_fields"]
