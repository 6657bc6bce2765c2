"""The AWS adapter tests use the same moto fixtures as the pipeline tests."""

from tests.unit.pipeline.conftest import aws, s3

__all__ = ["aws", "s3"]
