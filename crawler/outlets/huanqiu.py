"""Huanqiu (Global Times): its list API wants the channel's node ids, read from a second API first.

`https://{channel}.huanqiu.com/api/channel_pc` returns the channel tree; the leaves' `node`
values go into `/api/list?node="a","b"&offset=0&limit=20`, whose `list[].aid` are article ids
(pattern from RSSHub's huanqiu route).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from scrapy.http import Request

from crawler.discovery import JSON_TOO_DEEP, Discovered
from crawler.registry import JsonApiSource, Outlet

if TYPE_CHECKING:
    from crawler.spiders.outlets import OutletSpider

CHANNELS = ("world", "china", "taiwan", "mil")
LIST_SIZE = 20


def discovery_requests(spider: OutletSpider, outlet: Outlet) -> Iterator[Request]:
    for channel in CHANNELS:
        yield spider.discovery_request(
            f"https://{channel}.huanqiu.com/api/channel_pc",
            "list_api",
            outlet,
            lambda response, channel=channel: read_channel_tree(response.body, channel),
        )


def leaf_nodes(tree: Any) -> list[str]:
    """The `node` of every leaf of the channel tree, depth first."""
    nodes: list[str] = []
    children = tree.get("children", {}) if isinstance(tree, dict) else {}
    for child in children.values() if isinstance(children, dict) else children:
        if isinstance(child, dict) and child.get("children"):
            nodes += leaf_nodes(child)
        elif isinstance(child, dict) and child.get("node"):
            nodes.append(str(child["node"]))
    return nodes


def read_channel_tree(body: bytes, channel: str) -> Discovered:
    """The channel's list API over all its leaf nodes, as a further document to read."""
    try:
        nodes = leaf_nodes(json.loads(body.decode("utf-8-sig")))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return Discovered(problem=f"not JSON: {error}")
    except RecursionError:
        return Discovered(problem=JSON_TOO_DEEP)
    if not nodes:
        return Discovered(problem="channel tree has no nodes")
    node_list = ",".join(f'"{node}"' for node in nodes)
    source = JsonApiSource(
        url=f"https://{channel}.huanqiu.com/api/list?node={node_list}&offset=0&limit={LIST_SIZE}",
        links="list[*].aid",
        link_template=f"https://{channel}.huanqiu.com/article/{{}}",
    )
    return Discovered(documents=(source,))
