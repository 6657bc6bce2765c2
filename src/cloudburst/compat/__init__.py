"""For users of the older CloudBurst Fargate library: its calls and result keys, on CloudBurst.

    from cloudburst.compat import execute_parallel_batches

See `cloudburst.compat.fargate` and docs/migrating.md for what each argument and key means now.
"""

from cloudburst.compat.fargate import (
    cleanup_all_tasks,
    execute_parallel_batches,
    list_running_tasks,
    scan_scenes_from_folder,
)

__all__ = ["cleanup_all_tasks", "execute_parallel_batches", "list_running_tasks", "scan_scenes_from_folder"]
