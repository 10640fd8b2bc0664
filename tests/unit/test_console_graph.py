"""The console's state machine graph laid out from a definition with what real pipelines
hold: a Choice budget gate, a Map over topics whose task retries and catches, a Wait loop
(a cycle), a task waiting for a task token, a Parallel's branches and a legacy Iterator."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.console.graph import layout

LAMBDA = "arn:aws:states:::lambda:invoke"
DEFINITION: dict[str, Any] = {
    "StartAt": "BudgetGate",
    "States": {
        "BudgetGate": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.spent", "NumericLessThan": 10, "Next": "PerTopic"}],
            "Default": "OverBudget",
        },
        "OverBudget": {"Type": "Fail", "Error": "BudgetExceeded", "Cause": "over"},
        "PerTopic": {
            "Type": "Map",
            "ItemsPath": "$.topics",
            "ItemProcessor": {
                "StartAt": "Fetch",
                "States": {
                    "Fetch": {
                        "Type": "Task",
                        "Resource": LAMBDA,
                        "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}],
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Skipped"}],
                        "Next": "Summarise",
                    },
                    "Summarise": {"Type": "Task", "Resource": LAMBDA, "End": True},
                    "Skipped": {"Type": "Pass", "End": True},
                },
            },
            "Next": "StartReport",
        },
        "StartReport": {"Type": "Task", "Resource": LAMBDA, "Next": "WaitForReport"},
        "WaitForReport": {"Type": "Wait", "Seconds": 5, "Next": "ReportDone"},
        "ReportDone": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "Publish"}],
            "Default": "WaitForReport",
        },
        "Publish": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Approve",
                    "States": {
                        "Approve": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "EachReader",
                    "States": {
                        "EachReader": {
                            "Type": "Map",
                            "Iterator": {
                                "StartAt": "Mail",
                                "States": {
                                    "Mail": {"Type": "Task", "Resource": LAMBDA, "End": True}
                                },
                            },
                            "End": True,
                        }
                    },
                },
            ],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def _nested_states(definition: dict[str, Any]) -> dict[str, str]:
    """Every state of a definition, nested ones too, with its type."""
    found = {}
    for name, state in definition["States"].items():
        found[name] = state["Type"]
        processors = [state.get("ItemProcessor"), state.get("Iterator")]
        for inner in [*processors, *state.get("Branches", [])]:
            if inner:
                found |= _nested_states(inner)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, Any]:
    return layout(DEFINITION)


def _nodes(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in graph["nodes"]}


def _edges(graph: dict[str, Any], source: str) -> dict[str, tuple[str, bool]]:
    return {e["target"]: (e["kind"], e["back"]) for e in graph["edges"] if e["source"] == source}


def test_every_state_nested_or_not_is_one_node_of_its_type(graph: dict[str, Any]) -> None:
    states = {n["state"]: n["type"] for n in graph["nodes"] if n["state"] is not None}

    assert states == _nested_states(DEFINITION)
    assert len([n for n in graph["nodes"] if n["state"]]) == len(states)


def test_next_choices_default_and_catch_are_edges_of_their_kind(graph: dict[str, Any]) -> None:
    assert _edges(graph, "BudgetGate") == {
        "PerTopic": ("choice", False),
        "OverBudget": ("default", False),
    }
    assert _edges(graph, "Fetch") == {"Summarise": ("next", False), "Skipped": ("catch", False)}
    assert _edges(graph, "OverBudget") == {"end:": ("end", False)}
    assert _edges(graph, "Done") == {"end:": ("end", False)}
    assert _edges(graph, "start:") == {"BudgetGate": ("start", False)}


def test_the_wait_loop_is_laid_out_with_one_edge_drawn_back_up(graph: dict[str, Any]) -> None:
    nodes = _nodes(graph)
    back = [e for e in graph["edges"] if e["back"]]

    assert [(e["source"], e["target"]) for e in back] == [("ReportDone", "WaitForReport")]
    (loop,) = back
    assert loop["points"][0][1] > loop["points"][-1][1]  # it goes up
    assert all(x >= nodes["ReportDone"]["x"] + nodes["ReportDone"]["w"] for x, _ in loop["points"])


def test_every_other_edge_goes_down_a_layer_or_more(graph: dict[str, Any]) -> None:
    nodes = _nodes(graph)

    for edge in (e for e in graph["edges"] if not e["back"]):
        source, target = nodes[edge["source"]], nodes[edge["target"]]
        assert target["y"] >= source["y"] + source["h"], edge
        assert edge["points"][0][1] == source["y"] + source["h"], edge
        assert edge["points"][-1][1] == target["y"], edge


def test_nested_states_are_drawn_inside_the_box_of_their_map_or_branch(
    graph: dict[str, Any],
) -> None:
    nodes = _nodes(graph)

    def inside(node: dict[str, Any], box: dict[str, Any]) -> bool:
        return bool(
            box["x"] <= node["x"]
            and node["x"] + node["w"] <= box["x"] + box["w"]
            and box["y"] <= node["y"]
            and node["y"] + node["h"] <= box["y"] + box["h"]
        )

    for node in graph["nodes"]:
        if node["parent"] is not None:
            assert inside(node, nodes[node["parent"]]), node
    assert nodes["Fetch"]["parent"] == "PerTopic"
    assert nodes["Mail"]["parent"] == "EachReader"
    branches = {nodes["Approve"]["parent"], nodes["EachReader"]["parent"]}
    assert len(branches) == 2 and all(nodes[b]["parent"] == "Publish" for b in branches)
    assert inside(nodes["Publish"], {"x": 0, "y": 0, "w": graph["width"], "h": graph["height"]})


def test_no_two_nodes_of_one_box_overlap(graph: dict[str, Any]) -> None:
    by_box: dict[str | None, list[dict[str, Any]]] = {}
    for node in graph["nodes"]:
        by_box.setdefault(node["parent"], []).append(node)

    for siblings in by_box.values():
        for i, a in enumerate(siblings):
            for b in siblings[i + 1 :]:
                apart = (
                    a["x"] + a["w"] <= b["x"]
                    or b["x"] + b["w"] <= a["x"]
                    or a["y"] + a["h"] <= b["y"]
                    or b["y"] + b["h"] <= a["y"]
                )
                assert apart, (a["id"], b["id"])


def test_the_end_is_below_every_state_of_its_scope_and_a_token_task_says_so(
    graph: dict[str, Any],
) -> None:
    nodes = _nodes(graph)
    top = [n for n in graph["nodes"] if n["parent"] is None]

    assert all(n["y"] < nodes["end:"]["y"] for n in top if n["id"] != "end:")
    assert nodes["Approve"]["label"] == "Task (wait for token)"
    assert nodes["Fetch"]["label"] == "Task"
    assert nodes["OverBudget"]["detail"] == "BudgetExceeded: over"


def test_a_state_that_loops_on_itself_and_one_no_state_reaches_are_laid_out() -> None:
    graph = layout(
        {
            "StartAt": "Poll",
            "States": {
                "Poll": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.more", "BooleanEquals": True, "Next": "Poll"}],
                    "Default": "Done",
                },
                "Done": {"Type": "Succeed"},
                "Orphan": {"Type": "Pass", "Next": "Done"},
            },
        }
    )
    nodes = _nodes(graph)

    assert _edges(graph, "Poll") == {"Poll": ("choice", True), "Done": ("default", False)}
    assert nodes["Done"]["y"] > nodes["Orphan"]["y"]


def test_an_edge_skipping_rows_goes_around_the_nodes_between(graph: dict[str, Any]) -> None:
    nodes = _nodes(graph)
    skipping = [e for e in graph["edges"] if not e["back"] and len(e["points"]) > 2]

    assert {(e["source"], e["target"]) for e in skipping} >= {("OverBudget", "end:")}
    for edge in skipping:
        (x, top), (_, bottom) = edge["points"][2], edge["points"][3]
        parent = nodes[edge["source"]]["parent"]
        for node in (n for n in graph["nodes"] if n["parent"] == parent):
            beside = node["y"] < bottom and top < node["y"] + node["h"]
            assert not (beside and node["x"] < x < node["x"] + node["w"]), (edge, node["id"])
