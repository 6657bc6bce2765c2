"""What each state of the state machine does, one module per state (`plan_job` for PlanJob...).

Written against the adapters in `cloudburst.aws` (clients passed in), so the Lambda handlers in `functions/`
only parse their event, build clients and call one function here.
"""
