"""oslo.versionedobjects, imported without the eventlet deprecation noise.

OVO imports oslo.messaging, which imports eventlet and oslo's eventlet helpers, each warning at
import time that it is deprecated. This service never runs eventlet, so the warnings are noise for
every command and worker; they are silenced for this one import only, leaving the process's
warning filters untouched.
"""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    from oslo_versionedobjects import base as ovo_base
    from oslo_versionedobjects import fields as ovo_fields

__all__ = ["ovo_base", "ovo_fields"]
