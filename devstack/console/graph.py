"""A state machine's graph laid out for the page to draw as SVG, from its definition (ASL):
every state a node, its ``Next``, a Choice's branches and ``Default``, and its ``Catch``
as edges, a start and an end node per scope, and a Map's ``ItemProcessor`` (or legacy
``Iterator``) and a Parallel's ``Branches`` laid out inside the state's box.

The layout is layered (longest path, top to bottom): the edges that close a cycle (a Wait
loop) are found by a depth-first walk from the start and left out of the layering, so any
definition lays out in one pass; they are drawn up the right-hand side instead. Sizes and
coordinates are in SVG user units, every node's absolute.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

NODE_WIDTH, NODE_HEIGHT = 190, 42
TERMINAL = 26  # a start or end node's diameter
GAP_X, GAP_Y = 28, 46
PAD, HEADER = 14, 26  # inside a Map's, Parallel's or branch's box; its title
LANE = 16  # between the drawn cycle-closing edges, on the right
COMPOUND = ("Map", "Parallel")
TERMINAL_STATES = ("Succeed", "Fail")
TOKEN_SUFFIX = ".waitForTaskToken"


@dataclass
class Node:
    id: str  # the state's name; "start:<scope>", "end:<scope>", "branch:<scope>"
    label: str
    type: str  # the state's Type, or "start", "end", "branch"
    state: str | None  # the state's name, which history events give; None for the rest
    w: float
    h: float
    x: float = 0.0
    y: float = 0.0
    parent: str | None = None  # the box it is drawn in
    detail: str = ""  # shown on hover: a task's resource, a Fail's error


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # next, choice, default, catch, start, end
    label: str = ""
    back: bool = False  # closes a cycle: drawn up the right-hand side
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class _Scope:
    """A laid-out list of states (the machine's, a branch's, a Map's): its nodes and
    edges with coordinates relative to its top left, and its size."""

    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float


def layout(definition: dict[str, Any]) -> dict[str, Any]:
    """The graph of ``definition`` (a state machine's ASL, parsed): ``width``, ``height``,
    ``nodes`` and ``edges`` (each with its polyline's ``points``)."""
    laid = _lay_out(definition, "")
    return {
        "width": laid.width,
        "height": laid.height,
        "nodes": [asdict(n) for n in laid.nodes],
        "edges": [asdict(e) for e in laid.edges],
    }


def _edges(name: str, state: dict[str, Any], end: str) -> Iterator[Edge]:
    if state.get("Next"):
        yield Edge(name, state["Next"], "next")
    for choice in state.get("Choices", []):
        if choice.get("Next"):
            yield Edge(name, choice["Next"], "choice", str(choice.get("Variable", "")))
    if state.get("Default"):
        yield Edge(name, state["Default"], "default", "Default")
    for catch in state.get("Catch", []):
        if catch.get("Next"):
            yield Edge(name, catch["Next"], "catch", ", ".join(catch.get("ErrorEquals", [])))
    if state.get("End") or state.get("Type") in TERMINAL_STATES:
        yield Edge(name, end, "end")


def _detail(state: dict[str, Any]) -> str:
    if state.get("Type") == "Fail":
        return f"{state.get('Error', '')}: {state.get('Cause', '')}".strip(": ")
    return str(state.get("Resource", ""))


def _state_node(name: str, state: dict[str, Any]) -> tuple[Node, _Scope | None]:
    """A state's node and, for a Map or Parallel, what is laid out inside its box
    (relative to the box; a Parallel's branches side by side, each in a box of its own)."""
    kind = str(state.get("Type", "Task"))
    label = f"{kind} (wait for token)" if _detail(state).endswith(TOKEN_SUFFIX) else kind
    node = Node(name, label, kind, name, NODE_WIDTH, NODE_HEIGHT, detail=_detail(state))
    if kind == "Map":
        processor = state.get("ItemProcessor") or state.get("Iterator") or {}
        scopes = [_lay_out(processor, name)]
    elif kind == "Parallel":
        scopes = [_branch(b, f"{name}[{i}]") for i, b in enumerate(state.get("Branches", []))]
    else:
        return node, None
    across = sum(s.width for s in scopes) + GAP_X * (len(scopes) - 1)
    node.w = max(NODE_WIDTH, across + 2 * PAD)
    node.h = max((s.height for s in scopes), default=0) + HEADER + PAD
    x = (node.w - across) / 2
    for scope in scopes:
        _shift(scope, x, HEADER, name)
        x += scope.width + GAP_X
    return node, _Scope(
        [n for s in scopes for n in s.nodes], [e for s in scopes for e in s.edges], 0, 0
    )


def _branch(definition: dict[str, Any], scope: str) -> _Scope:
    """One of a Parallel's branches, in a box of its own."""
    inner = _lay_out(definition, scope)
    box = Node(f"branch:{scope}", "branch", "branch", None, inner.width + 2 * PAD, 0)
    box.h = inner.height + 2 * PAD
    _shift(inner, PAD, PAD, box.id)
    return _Scope([box, *inner.nodes], inner.edges, box.w, box.h)


def _shift(scope: _Scope, dx: float, dy: float, parent: str) -> None:
    """Move a scope's nodes and edges by (dx, dy); its top-level nodes go in ``parent``."""
    for node in scope.nodes:
        node.x, node.y = node.x + dx, node.y + dy
        node.parent = node.parent or parent
    for edge in scope.edges:
        edge.points = [(x + dx, y + dy) for x, y in edge.points]


def _back_edges(order: list[str], edges: list[Edge]) -> None:
    """Mark the edges a depth-first walk from each node in ``order`` (the start first)
    finds going back to a node on its path: without them the graph has no cycle."""
    out: dict[str, list[Edge]] = {n: [] for n in order}
    for edge in edges:
        out[edge.source].append(edge)
    seen: set[str] = set()
    for root in order:
        if root in seen:
            continue
        seen.add(root)
        path = {root}
        stack = [(root, iter(out[root]))]
        while stack:
            node, pending = stack[-1]
            following = next(pending, None)
            if following is None:
                stack.pop()
                path.discard(node)
            elif following.target in path:
                following.back = True
            elif following.target not in seen:
                seen.add(following.target)
                path.add(following.target)
                stack.append((following.target, iter(out[following.target])))


def _layers(order: list[str], edges: list[Edge]) -> dict[str, int]:
    """Each node's layer: the longest path to it over the edges that close no cycle (the
    nodes in topological order, Kahn's)."""
    forward = [e for e in edges if not e.back]
    waiting = {n: 0 for n in order}
    for edge in forward:
        waiting[edge.target] += 1
    layer = dict.fromkeys(order, 0)
    ready = [n for n in order if not waiting[n]]
    while ready:
        node = ready.pop(0)
        for edge in (e for e in forward if e.source == node):
            layer[edge.target] = max(layer[edge.target], layer[node] + 1)
            waiting[edge.target] -= 1
            if not waiting[edge.target]:
                ready.append(edge.target)
    return layer


def _lay_out(definition: dict[str, Any], scope: str) -> _Scope:
    """Lay out one list of states with its start and end nodes (a state naming a state
    the list does not hold gets no edge: the service would refuse the definition)."""
    states: dict[str, Any] = definition.get("States") or {}
    start = Node(f"start:{scope}", "start", "start", None, TERMINAL, TERMINAL)
    end = Node(f"end:{scope}", "end", "end", None, TERMINAL, TERMINAL)
    nodes: dict[str, Node] = {start.id: start}
    boxes: dict[str, _Scope] = {}
    for name, state in states.items():
        nodes[name], inside = _state_node(name, state)
        if inside is not None:
            boxes[name] = inside
    nodes[end.id] = end
    edges = [Edge(start.id, definition.get("StartAt", ""), "start")]
    edges += [e for name, state in states.items() for e in _edges(name, state, end.id)]
    edges = [e for e in edges if e.target in nodes]
    order = list(nodes)
    _back_edges(order, edges)
    layer = _layers(order, edges)
    layer[end.id] = max(layer[n] for n in order if n != end.id) + 1
    width, height, bands = _place(order, nodes, layer, edges)
    width = _route(edges, nodes, layer, bands, width)
    for name, inside in boxes.items():  # into place with the box that holds it
        _shift(inside, nodes[name].x, nodes[name].y, name)
    return _Scope(
        [*nodes.values(), *(n for b in boxes.values() for n in b.nodes)],
        [*edges, *(e for b in boxes.values() for e in b.edges)],
        width,
        height,
    )


def _place(
    order: list[str], nodes: dict[str, Node], layer: dict[str, int], edges: list[Edge]
) -> tuple[float, float, dict[int, tuple[float, float]]]:
    """Rows top to bottom, each centred, its nodes aligned at the top; in a row, nodes in
    the order of their predecessors' mean place (then the definition's). Returns the width
    and height used and each row's top and bottom."""
    rows: dict[int, list[str]] = {}
    for name in order:
        rows.setdefault(layer[name], []).append(name)
    before: dict[str, list[Node]] = {name: [] for name in order}
    for edge in (e for e in edges if not e.back):
        before[edge.target].append(nodes[edge.source])
    width = max(sum(nodes[n].w for n in row) + GAP_X * (len(row) - 1) for row in rows.values())
    bands: dict[int, tuple[float, float]] = {}
    y = 0.0
    for number in sorted(rows):
        row = sorted(
            rows[number],
            key=lambda n: (
                sum(p.x + p.w / 2 for p in before[n]) / len(before[n]) if before[n] else width / 2
            ),
        )
        x = (width - sum(nodes[n].w for n in row) - GAP_X * (len(row) - 1)) / 2
        for name in row:
            nodes[name].x, nodes[name].y = x, y
            x += nodes[name].w + GAP_X
        bands[number] = (y, y + max(nodes[n].h for n in row))
        y = bands[number][1] + GAP_Y
    return width, y - GAP_Y, bands


def _route(
    edges: list[Edge],
    nodes: dict[str, Node],
    layer: dict[str, int],
    bands: dict[int, tuple[float, float]],
    width: float,
) -> float:
    """Each edge's polyline: down from the source's bottom to the target's top; one that
    skips rows goes down into the gap below its row, right past every node of the rows
    between, down, and in. One closing a cycle leaves the source's right side and goes up
    a lane of its own into the target's right side. Returns the width used."""
    for edge in (e for e in edges if not e.back):
        source, target = nodes[edge.source], nodes[edge.target]
        down = (source.x + source.w / 2, source.y + source.h)
        into = (target.x + target.w / 2, target.y)
        first, last = layer[edge.source], layer[edge.target]
        if last - first <= 1:
            edge.points = [down, into]
            continue
        down = (source.x + source.w * 3 / 4, down[1])  # apart from the edge to the next row
        between = [n for n in nodes.values() if first < layer[n.id] < last]
        aside = max([down[0], into[0], *(n.x + n.w + GAP_X / 2 for n in between)])
        width = max(width, aside + GAP_X / 2)
        below, above = bands[first][1] + GAP_Y / 2, bands[last][0] - GAP_Y / 2
        edge.points = [down, (down[0], below), (aside, below), (aside, above), into]
    for edge in (e for e in edges if e.back):
        source, target = nodes[edge.source], nodes[edge.target]
        width += LANE
        out, back_in = source.y + source.h / 2, target.y + target.h / 2
        edge.points = [
            (source.x + source.w, out),
            (width, out),
            (width, back_in),
            (target.x + target.w, back_in),
        ]
    return width + LANE if any(e.back for e in edges) else width
