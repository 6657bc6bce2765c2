"""Typed boundaries shared by the renderer API, the job schema, the Lambdas and the client."""
