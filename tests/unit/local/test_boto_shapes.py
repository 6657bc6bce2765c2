"""Template properties in CloudFormation's PascalCase become API parameters, user data left as it is."""

from __future__ import annotations

from cloudburst.local.boto_shapes import to_api_members


def test_task_definition_properties_become_api_members_with_map_keys_untouched() -> None:
    request = to_api_members(
        "ecs",
        "register_task_definition",
        {
            "Family": "renderer",
            "Cpu": 2048,
            "RuntimePlatform": {"CpuArchitecture": "X86_64"},
            "ContainerDefinitions": [
                {
                    "Name": "renderer",
                    "Essential": "true",
                    "StopTimeout": "120",
                    "PortMappings": [{"ContainerPort": 8080}],
                    "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": "g"}},
                    "DockerLabels": {"Com.Example": "x"},
                }
            ],
            "UpdateReplacePolicy": "Retain",
        },
    )
    container = request["containerDefinitions"][0]
    assert request["family"] == "renderer"
    assert request["cpu"] == "2048"
    assert request["runtimePlatform"] == {"cpuArchitecture": "X86_64"}
    assert container["essential"] is True
    assert container["stopTimeout"] == 120
    assert container["portMappings"] == [{"containerPort": 8080}]
    assert container["logConfiguration"]["options"] == {"awslogs-group": "g"}
    assert container["dockerLabels"] == {"Com.Example": "x"}
    assert "UpdateReplacePolicy" not in request
    assert "updateReplacePolicy" not in request
