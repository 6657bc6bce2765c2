"""S3 events delivered through EventBridge rules to our in-process Lambda handlers.

A bucket with `EventBridgeConfiguration: {EventBridgeEnabled: true}` sends "Object Created" (and other) events
to the default event bus, and a SAM function's `EventBridgeRule` event subscribes to the ones its pattern
matches (CloudBurst's upload trigger: `jobs/*.json`). moto's S3 builds such events, but moto's EventBridge has
no Lambda targets; this hook builds the event as S3 sends it, matches it against the template's rules with
moto's own pattern matcher, and invokes the matching functions asynchronously, as EventBridge does.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from moto.events.models import EventPattern
from moto.s3 import notifications as moto_s3_notifications

from cloudburst.local.lambda_dispatch import LambdaDispatcher

_LOG = logging.getLogger(__name__)
_notifications: Any = moto_s3_notifications
_ORIGINAL_SEND: Final = _notifications._send_event_bridge_message


@dataclass(frozen=True)
class EventRoute:
    """A rule from the template: events matching `pattern` go to the function named `function_name`."""

    rule: str
    pattern: Mapping[str, Any]
    function_name: str

    def matches(self, event: Mapping[str, Any]) -> bool:
        matcher: Any = EventPattern(json.dumps(self.pattern), dict(self.pattern))
        return bool(matcher.matches_event(dict(event)))


def s3_event(account_id: str, region: str, bucket: str, event_name: str, key: Mapping[str, Any]) -> dict[str, Any]:
    """The EventBridge event S3 sends for `event_name` (e.g. `s3:ObjectCreated:Put`) on an object."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": _notifications._detail_type(event_name),
        "source": "aws.s3",
        "account": account_id,
        "time": dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": dict(key),
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account_id,
            "reason": event_name.split(":")[1] if ":" in event_name else event_name,
        },
    }


class S3EventRulesHook:
    def __init__(self, dispatcher: LambdaDispatcher, routes: Sequence[EventRoute]) -> None:
        self._dispatcher = dispatcher
        self._routes = list(routes)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._writes = 0

    def install(self) -> None:
        _notifications._send_event_bridge_message = self._send

    def _next_sequencer(self) -> str:
        """S3's `sequencer`: a hex string that grows with every write (a duplicated event repeats its own)."""
        with self._lock:
            self._writes += 1
            return f"{time.time_ns():016X}{self._writes:04X}"

    def uninstall(self) -> None:
        _notifications._send_event_bridge_message = _ORIGINAL_SEND
        for thread in self._threads:
            thread.join(timeout=30)

    def _send(self, account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        details: dict[str, Any] = {
            "key": key.name,
            "size": key.size,
            "etag": key.etag.replace('"', ""),
            "sequencer": self._next_sequencer(),
        }
        if key.version_id and key.version_id != "null":
            details["version-id"] = key.version_id
        event = s3_event(account_id, bucket.region_name, bucket.name, event_name, details)
        for route in self._routes:
            if route.matches(event):
                self._deliver(route, event)

    def _deliver(self, route: EventRoute, event: dict[str, Any]) -> None:
        function = self._dispatcher.functions().get(route.function_name)
        if function is None:
            _LOG.warning("rule %s targets %s, which is not a local function", route.rule, route.function_name)
            return
        key = event["detail"]["object"]["key"]
        _LOG.info("rule %s: %s %s -> %s", route.rule, event["detail-type"], key, function.name)
        thread = threading.Thread(
            target=self._dispatcher.invoke, args=(function, event), name=f"rule-{route.rule}", daemon=True
        )
        self._threads = [running for running in self._threads if running.is_alive()] + [thread]
        thread.start()
