"""``/whoami``: the identity the service resolved from the caller's credentials.

Clients (``artifacts whoami``) use it to check a profile before doing anything with it; it
answers for anonymous callers too, since "who am I" has an answer either way.
"""

from __future__ import annotations

import falcon

from api.media import write_json


class WhoAmIResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx = req.context.ctx
        write_json(
            resp,
            {
                "project_id": ctx.project_id,
                "user_id": ctx.user_id,
                "roles": sorted(ctx.roles),
                "authenticated": not ctx.is_anonymous,
            },
        )
