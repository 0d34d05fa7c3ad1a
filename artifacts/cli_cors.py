"""``artifacts bucket-cors``: let browsers on given origins use a store's direct transfers.

Direct uploads and presigned downloads send the bytes between the browser and the bucket, so
the bucket itself must allow the page's origin (:mod:`artifacts.store.s3_cors`); the API's own
``[cors] allowed_origins`` covers only the API. This sets, shows or removes the bucket's rules
with the store's configured credentials.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from artifacts.config import Settings
from artifacts.store import s3_cors
from artifacts.store.base import StoreError
from artifacts.store.registry import build_stores
from artifacts.store.s3 import S3Store


def add_commands(commands: Any) -> None:
    cors = commands.add_parser(
        "bucket-cors",
        help="set, show or remove the CORS rules of an s3 store's bucket (browser direct uploads)",
    )
    cors.add_argument("store", help="name of an s3 store ([stores.<name>])")
    action = cors.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--allow",
        metavar="ORIGIN",
        action="append",
        help="origin whose pages may PUT parts and GET objects (repeatable); replaces the rules",
    )
    action.add_argument("--show", action="store_true", help="print the bucket's rules as JSON")
    action.add_argument("--remove", action="store_true", help="remove the bucket's rules")
    cors.add_argument("--max-age", type=int, default=600, help="seconds a preflight is cached")
    cors.set_defaults(handler=_bucket_cors)


def _bucket_cors(settings: Settings, args: argparse.Namespace) -> int:
    options = settings.effective_stores.get(args.store)
    if options is None or options.get("driver") != "s3":
        print(f"no s3 store named {args.store!r} is configured")
        return 2
    store = build_stores({args.store: options})[args.store]
    assert isinstance(store, S3Store)
    try:
        if args.show:
            print(json.dumps(s3_cors.get_rules(store), indent=2))
        elif args.remove:
            s3_cors.remove_rules(store)
            print(f"removed the CORS rules of bucket {store.bucket!r}")
        else:
            s3_cors.set_rules(store, s3_cors.direct_transfer_rules(args.allow, args.max_age))
            print(f"bucket {store.bucket!r} allows {', '.join(args.allow)}")
    except StoreError as exc:
        print(exc)
        return 1
    return 0
