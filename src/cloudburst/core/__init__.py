"""Pure domain logic: no boto3, no clock, no I/O. The Lambdas, the CLI and the local cloud share it."""
