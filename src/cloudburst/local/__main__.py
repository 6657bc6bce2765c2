"""`python -m cloudburst.local serve|status|stop`: the local cloud as a long-lived process.

`serve` runs a `LocalCloud` until Ctrl-C or SIGTERM and writes where it listens to a state file, so separate
`cloudburst` commands (submit now, status later) reach the same emulated stack; `stop` ends it (its tasks
are stopped on the way out) and `status` says whether one is running.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from cloudburst.client.local_target import STATE_FILE_ENV, find_serving, read_state, state_file

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_STOP_WAIT_SECONDS = 60.0


def _write_state(path: Path, state: dict[str, object]) -> None:
    """Atomically: a reader sees the old file or the whole new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


def _remove_own_state(path: Path) -> None:
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def serve(args: argparse.Namespace) -> int:
    # Imported here: `status` and `stop` should not pay for loading moto and the emulator.
    from cloudburst.local.cloud import LocalCloud, LocalCloudError  # noqa: PLC0415
    from cloudburst.local.template import TemplateError  # noqa: PLC0415

    path = args.state_file
    running = read_state(path)
    if running is not None:
        print(
            f"a local cloud is already serving at {running['endpoint_url']} (pid {running['pid']}); "
            f"stop it first: python -m cloudburst.local stop",
            file=sys.stderr,
        )
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for stop_signal in _STOP_SIGNALS:
        signal.signal(stop_signal, request_stop)
    try:
        cloud = LocalCloud(template=args.template, run_dir=args.run_dir, time_scale=args.time_scale, port=args.port)
        with cloud:
            _write_state(path, {**cloud.describe(), "started_at": time.time()})
            try:
                print(f"local cloud serving at {cloud.endpoint_url}")
                print(f"  stack outputs: {json.dumps(cloud.outputs)}")
                print(f"  state file:    {path}   logs: {cloud.run_dir}")
                print(
                    "  run `cloudburst submit ... --local` in another terminal; Ctrl-C (or `python -m "
                    "cloudburst.local stop`) stops it and every task it started.",
                    flush=True,
                )
                stop.wait()
                print("stopping the local cloud...", flush=True)
            finally:
                _remove_own_state(path)
    except (LocalCloudError, TemplateError) as exc:
        print(f"the local cloud cannot start: {exc}", file=sys.stderr)
        return 1
    print("local cloud stopped; no task is left running.")
    return 0


def status(args: argparse.Namespace) -> int:
    state = read_state(args.state_file)
    if state is None:
        print("no local cloud is serving")
        return 1
    print(json.dumps(state, indent=2))
    return 0


def stop(args: argparse.Namespace) -> int:
    state = read_state(args.state_file)
    if state is None:
        print("no local cloud is serving")
        return 0
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_WAIT_SECONDS
    while time.monotonic() < deadline:
        if not _running(pid):
            print(f"stopped the local cloud (pid {pid})")
            return 0
        time.sleep(0.1)
    print(f"the local cloud (pid {pid}) is still stopping after {_STOP_WAIT_SECONDS:.0f} s", file=sys.stderr)
    return 1


def _running(pid: int) -> bool:
    """Whether the process still runs (an exited one its parent has not yet reaped does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cloudburst.local", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help=f"where the serving cloud is described (default: ${STATE_FILE_ENV}, else .cloudburst/local-cloud.json: "
        "serve writes it in the working directory; status and stop look there and in each parent directory)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the local cloud until stopped")
    serve_parser.add_argument("--template", type=Path, default=None, help="the SAM template (default: template.yaml)")
    serve_parser.add_argument("--run-dir", type=Path, default=None, help="logs of the cloud and its tasks")
    serve_parser.add_argument("--port", type=int, default=0, help="the loopback endpoint's port (default: any)")
    serve_parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="Retry intervals and Wait states last this many times their real length (0.1: ten times faster)",
    )
    serve_parser.set_defaults(handler=serve)
    commands.add_parser("status", help="describe the serving local cloud").set_defaults(handler=status)
    commands.add_parser("stop", help="stop the serving local cloud and its tasks").set_defaults(handler=stop)
    args = parser.parse_args(argv)
    if args.state_file is None:
        found = None if args.command == "serve" else find_serving()
        args.state_file = found[0] if found is not None else state_file()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
