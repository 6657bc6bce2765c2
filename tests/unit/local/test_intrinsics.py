"""CloudFormation intrinsic functions resolved as a deployed stack resolves them."""

from __future__ import annotations

import pytest

from cloudburst.local.intrinsics import NO_VALUE, Resolver, StackValues
from cloudburst.local.template import TemplateError


@pytest.fixture
def resolver() -> Resolver:
    values = StackValues(
        parameters={"Stage": "test", "Subnets": ["subnet-a", "subnet-b"]},
        pseudo={"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::StackName": "stack"},
        refs={"Bucket": "stack-bucket", "Fn": "stack-Fn"},
        attributes={("Bucket", "Arn"): "arn:aws:s3:::stack-bucket", ("Fn", "Arn"): "arn:fn"},
        mappings={"Sizes": {"small": {"cpu": "256"}}},
    )
    conditions = {
        "IsTest": {"Fn::Equals": [{"Ref": "Stage"}, "test"]},
        "IsProd": {"Fn::Not": [{"Condition": "IsTest"}]},
        "Both": {"Fn::And": [{"Condition": "IsTest"}, {"Condition": "IsProd"}]},
        "Either": {"Fn::Or": [{"Condition": "IsTest"}, {"Condition": "IsProd"}]},
    }
    return Resolver(values, conditions)


def test_ref_reads_parameters_pseudo_parameters_and_resources(resolver: Resolver) -> None:
    assert resolver.resolve({"Ref": "Stage"}) == "test"
    assert resolver.resolve({"Ref": "AWS::Region"}) == "us-east-1"
    assert resolver.resolve({"Ref": "Bucket"}) == "stack-bucket"


def test_sub_replaces_refs_attributes_and_variables_but_not_escapes(resolver: Resolver) -> None:
    text = "${AWS::StackName}/${Bucket}/${Bucket.Arn}/${Extra}/${!Literal}"
    assert resolver.resolve({"Fn::Sub": [text, {"Extra": {"Ref": "Stage"}}]}) == (
        "stack/stack-bucket/arn:aws:s3:::stack-bucket/test/${Literal}"
    )


def test_join_select_split_find_in_map_and_get_att(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::Join": ["-", [{"Ref": "Stage"}, "x"]]}) == "test-x"
    assert resolver.resolve({"Fn::Select": [1, {"Ref": "Subnets"}]}) == "subnet-b"
    assert resolver.resolve({"Fn::Split": [",", "a,b"]}) == ["a", "b"]
    assert resolver.resolve({"Fn::FindInMap": ["Sizes", "small", "cpu"]}) == "256"
    assert resolver.resolve({"Fn::GetAtt": ["Fn", "Arn"]}) == "arn:fn"
    assert resolver.resolve({"Fn::GetAtt": "Fn.Arn"}) == "arn:fn"


def test_conditions_and_if_with_no_value_removing_the_property(resolver: Resolver) -> None:
    assert resolver.condition("IsTest") is True
    assert resolver.condition("IsProd") is False
    assert resolver.condition("Both") is False
    assert resolver.condition("Either") is True
    resolved = resolver.resolve(
        {"Kept": {"Fn::If": ["IsTest", "yes", "no"]}, "Dropped": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]}}
    )
    assert resolved == {"Kept": "yes"}
    assert resolver.resolve([{"Ref": "AWS::NoValue"}, "a"]) == ["a"]
    assert resolver.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Ref": "Missing"}, "!Ref Missing"),
        ({"Fn::GetAtt": ["Bucket", "WebsiteURL"]}, "!GetAtt Bucket.WebsiteURL"),
        ({"Fn::Select": [5, ["a"]]}, "Fn::Select index 5"),
        ({"Fn::Cidr": ["10.0.0.0/16", 4, 12]}, "Fn::Cidr is not supported"),
        ({"Fn::If": ["Undefined", 1, 2]}, "condition 'Undefined'"),
    ],
)
def test_what_cannot_be_resolved_is_named(resolver: Resolver, value: object, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        resolver.resolve(value)
