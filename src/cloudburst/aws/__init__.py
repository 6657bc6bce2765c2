"""Adapters over boto3 and HTTP. Each function takes its client as a parameter, so the pipeline can be tested
with moto or with fakes, and so the IAM coverage test can see which AWS operations each Lambda reaches."""
