"""S3 event notifications delivered to our in-process Lambda handlers.

moto's S3 already matches uploads against a bucket's notification configuration (events, prefix and suffix
filters) and builds the AWS event document; it then hands a Lambda target to moto's own Lambda, which cannot
run our code. This hook sends it to the `LambdaDispatcher` instead, asynchronously, as S3 invokes Lambda.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Final

from moto.s3 import notifications as moto_s3_notifications

from cloudburst.local.lambda_dispatch import LambdaDispatcher

_LOG = logging.getLogger(__name__)
_notifications: Any = moto_s3_notifications
_ORIGINAL_INVOKE: Final = _notifications._invoke_awslambda


class S3NotificationHook:
    def __init__(self, dispatcher: LambdaDispatcher) -> None:
        self._dispatcher = dispatcher
        self._threads: list[threading.Thread] = []

    def install(self) -> None:
        _notifications._invoke_awslambda = self._invoke

    def uninstall(self) -> None:
        _notifications._invoke_awslambda = _ORIGINAL_INVOKE
        for thread in self._threads:
            thread.join(timeout=30)

    def _invoke(self, account_id: str, event_body: Any, function_arn: str, region_name: str) -> None:
        name = function_arn.split(":")[6]
        function = self._dispatcher.functions().get(name)
        if function is None:
            _LOG.warning("S3 notification for %s: no such local function", function_arn)
            return
        event = json.loads(json.dumps(event_body))
        thread = threading.Thread(
            target=self._dispatcher.invoke, args=(function, event), name=f"s3-event-{name}", daemon=True
        )
        self._threads = [running for running in self._threads if running.is_alive()] + [thread]
        thread.start()
