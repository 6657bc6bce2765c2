"""What in-process Lambdas print or log goes to the run's Lambda log, not to the terminal of whoever runs them."""

from __future__ import annotations

import io
import logging
import sys
import threading

from cloudburst.local.lambda_output import routed_to, routing_installed


def test_lambda_threads_write_to_their_log_and_others_are_untouched() -> None:
    lambda_log = io.StringIO()
    terminal = io.StringIO()
    saved = sys.stdout
    sys.stdout = terminal
    try:
        with routing_installed():

            def handler() -> None:
                with routed_to(lambda_log):
                    print('{"level": "INFO", "message": "planned"}')

            worker = threading.Thread(target=handler)
            worker.start()
            worker.join()
            print("progress: 1/2 scenes")
        assert sys.stdout is terminal
    finally:
        sys.stdout = saved
    assert lambda_log.getvalue() == '{"level": "INFO", "message": "planned"}\n'
    assert terminal.getvalue() == "progress: 1/2 scenes\n"


def test_records_logged_by_a_lambda_thread_are_diverted_from_the_root_handlers() -> None:
    lambda_log, terminal = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(terminal)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with routing_installed():
            with routed_to(lambda_log):
                logging.getLogger("some.library").error("Exception received from handler")
            logging.getLogger("some.library").error("a real problem")
        assert not handler.filters
    finally:
        root.removeHandler(handler)
    assert "ERROR some.library: Exception received from handler" in lambda_log.getvalue()
    assert terminal.getvalue() == "a real problem\n"
