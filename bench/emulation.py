"""Make moto fast enough to hold 100,000-session namespaces, without changing what it answers.

moto 5.2's DynamoDB emulation re-reads and re-sorts the *whole table* on every Query (``Table.all_items``
sorts every item, then each candidate is compared with slow ``DynamoType`` operations), deep-copies every
item it passes over, and serializes answers through a generic model-driven serializer (several ms per
session). With 250,000 items one Query takes ~15 s and the naive baseline's read of a 100,000-session
namespace would take tens of minutes, so a full benchmark run would take hours.

``accelerated()`` patches two things while it is active, in this process only:

* ``Table.query`` for the plain case (one equality on the hash key, at most one condition on a string sort
  key, no legacy ``QueryFilter``): the candidates come from a cache of each partition of the table and of
  each index, sorted once with moto's own sort, a sort-key condition (the time ranges, the update feed's
  settle boundary) becomes a window found by bisection on the sorted keys, and ``ExclusiveStartKey`` is
  found by a dictionary lookup instead of a scan. What follows is moto's own algorithm: ``Limit`` and
  moto's 1 MB page rule (by moto's own item size, checked also on the first entry after the window, as moto
  does), moto's ``LastEvaluatedKey``, index projection, ``FilterExpression``, ``ProjectionExpression``.
  Items are not deep-copied (nothing on the read path mutates them), and a KEYS_ONLY projection copies
  the key attributes directly instead of moto's round trip through plain JSON. Anything else goes to
  moto as is.
* The JSON body of read answers (Query, Scan, GetItem) is written with ``json.dumps``
  instead of moto's generic serializer; the wire form is the same.
* Building an item checks moto's 400 KB limit once, on the whole item, instead of once per attribute over every
  attribute set so far (quadratic in the attributes: most of the time of loading 261,000 sessions). The sizes are
  moto's own (``DynamoType.size`` for values, ``bytesize`` for names); each step of moto's check only adds to the
  sum, so the whole item passes exactly when every step would have.
* ``TransactWriteItems`` backs up, for its rollback, only the items it touches instead of deep-copying the whole
  table once per item of the transaction (about 0.5 ms per item stored: 6 s for one ``SessionWriter.put`` on a
  10,000-session table, minutes on the benchmark's). A cancelled transaction restores exactly those items, which
  is all moto's rollback changes on a table without a stream.

Any write through moto's backend (put, update, delete, transactions, batches) empties the cache.
``check_equivalence`` replays requests with and without the patches and compares the parsed answers, and
``check_rollback`` cancels transactions with and without them and compares what they touched: the benchmark runs both on
a sample of the requests it makes, so a moto upgrade that breaks a patch fails loudly instead of skewing figures.
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.dynamodb import models as moto_models
from moto.dynamodb import responses as moto_responses
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models import table as moto_table
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

_READ_OPERATIONS = frozenset({"Query", "Scan", "GetItem"})
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


@dataclass
class _Partition:
    ascending: list[Any]
    descending: list[Any]
    sizes_ascending: list[int]
    position_ascending: dict[tuple[Any, ...], int]
    range_ascending: list[str] | None
    """The sort key's string values in ascending order (``None`` when one is not a string)."""


def _key(value: Any) -> tuple[str, str]:
    typed = value if isinstance(value, DynamoType) else DynamoType(value)
    return typed.type, json.dumps(typed.value, sort_keys=True, default=str)


class _Cache:
    def __init__(self) -> None:
        self.groups: dict[tuple[int, str | None], dict[tuple[str, str], list[Any]]] = {}
        self.partitions: dict[tuple[int, str | None, tuple[str, str]], _Partition] = {}

    def clear(self) -> None:
        self.groups.clear()
        self.partitions.clear()

    def partition(self, table: Any, index_name: str | None, hash_attr: str, value: Any) -> _Partition:
        wanted = _key(value)
        cache_key = (id(table), index_name, wanted)
        found = self.partitions.get(cache_key)
        if found is not None:
            return found
        groups = self.groups.get((id(table), index_name))
        if groups is None:
            groups = self._group(table, index_name, hash_attr)
            self.groups[(id(table), index_name)] = groups
        members = list(groups.get(wanted, []))
        if index_name is None:
            members.sort(key=lambda item: item.range_key)
        else:
            hash_attrs, range_attrs = _index_sort_attrs(table, index_name)
            members = table.sorted_items(hash_attrs, range_attrs, members)
        position = {_table_key(table, item): i for i, item in enumerate(members)}
        range_attr = table.range_key_attr if index_name is None else _index_sort_attrs(table, index_name)[1][0]
        values = [item.attrs.get(range_attr) for item in members]
        strings = [value.value for value in values if value is not None and value.type == "S"]
        ranges = strings if len(strings) == len(members) else None
        partition = _Partition(members, members[::-1], [item.size() for item in members], position, ranges)
        self.partitions[cache_key] = partition
        return partition

    @staticmethod
    def _group(table: Any, index_name: str | None, hash_attr: str) -> dict[tuple[str, str], list[Any]]:
        groups: dict[tuple[str, str], list[Any]] = {}
        range_keys: list[str] = []
        if index_name is not None:
            index = table.get_index(index_name)
            range_keys = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
        for hash_set in table.items.values():
            for item in hash_set.values():
                if index_name is None:
                    groups.setdefault(_key(item.hash_key), []).append(item)
                    continue
                value = item.attrs.get(hash_attr)
                if value is None or not all(item.attrs.get(name) for name in range_keys):
                    continue
                groups.setdefault(_key(value), []).append(item)
        return groups


def _table_key(table: Any, item: Any) -> tuple[Any, ...]:
    return (_key(item.hash_key), _key(item.range_key) if item.range_key is not None else None)


def _index_sort_attrs(table: Any, index_name: str) -> tuple[list[str], list[str | None]]:
    """The attributes moto's ``Table.query`` sorts an index partition by (see moto's ``sorted_items``)."""
    index = table.get_index(index_name)
    hash_keys = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    range_keys: list[str | None] = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
    return [*hash_keys, table.hash_key_attr], [*range_keys, table.range_key_attr]


_CACHE = _Cache()


def _fast_query(original: Any) -> Any:
    def query(
        self: Any,
        hash_key: Any,
        range_comparison: Any,
        range_objs: Any,
        limit: Any,
        exclusive_start_key: Any,
        scan_index_forward: bool,
        projection_expressions: Any,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: Any = None,
        range_key_conditions: Any = None,
        **filter_kwargs: Any,
    ) -> Any:
        args = (hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward)
        kwargs = {
            "projection_expressions": projection_expressions,
            "index_name": index_name,
            "consistent_read": consistent_read,
            "filter_expression": filter_expression,
            "hash_key_conditions": hash_key_conditions,
            "range_key_conditions": range_key_conditions,
            **filter_kwargs,
        }
        plain = (
            (not range_comparison or range_comparison in _WINDOWS)
            and (not range_key_conditions or len(range_key_conditions) == 1)
            and not filter_kwargs
            and hash_key_conditions is not None
            and len(hash_key_conditions) == 1
            and self.range_key_attr is not None
        )
        sort_attr = self.range_key_attr
        if index_name is not None:
            by_name = {index.name: index for index in self.all_indexes()}
            index = by_name.get(index_name)
            plain = plain and index is not None and index in (self.global_indexes or []) and not consistent_read
            if plain and index is not None:
                schema = index.schema
                plain = [k["KeyType"] for k in schema] == ["HASH", "RANGE"]
                plain = plain and schema[0]["AttributeName"] == hash_key_conditions[0][0]
                sort_attr = schema[-1]["AttributeName"]
        elif plain:
            plain = hash_key_conditions[0][0] == self.hash_key_attr
        if plain and range_key_conditions:
            # moto 5.2 passes the sort key condition twice: as range_comparison and as range_key_conditions.
            name, comparison, _ = range_key_conditions[0]
            plain = name == sort_attr and comparison == range_comparison
        if not plain:
            return original(self, *args, **kwargs)

        attr, value = hash_key_conditions[0]
        partition = _CACHE.partition(self, index_name, attr, value)
        window = (0, len(partition.ascending))
        if range_comparison:
            bounds = [obj.value for obj in range_objs if obj.type == "S"]
            if partition.range_ascending is None or len(bounds) != len(range_objs):
                return original(self, *args, **kwargs)
            window = _window(partition.range_ascending, range_comparison, bounds)
        ordered = partition.ascending if scan_index_forward else partition.descending
        count = len(ordered)
        low, high = window if scan_index_forward else (count - window[1], count - window[0])
        start = low
        if exclusive_start_key is not None:
            table_key = (
                _key(exclusive_start_key[self.hash_key_attr]),
                _key(exclusive_start_key[self.range_key_attr]),
            )
            ascending_position = partition.position_ascending.get(table_key)
            if ascending_position is None:
                return original(self, *args, **kwargs)  # a start key that is not an entry: moto's own scan
            position = ascending_position if scan_index_forward else count - 1 - ascending_position
            start = max(position + 1, low)
        results: list[Any] = []
        result_size = 0
        last_evaluated_key = None
        # moto walks every entry of the partition (those outside the sort key condition are passed over, not
        # read) and checks Limit and 1 MB before each: the first entry after the window can end the page too.
        for offset in range(start, min(high + 1, count)):
            ascending_index = offset if scan_index_forward else count - 1 - offset
            size = partition.sizes_ascending[ascending_index]
            if len(results) == limit or result_size + size > moto_table.RESULT_SIZE_LIMIT:
                last_evaluated_key = self._get_last_evaluated_key(results[-1], index_name)
                break
            if offset == high:
                break
            results.append(ordered[offset])
            result_size += size
        scanned_count = len(results)
        if index_name:
            index = self.get_index(index_name)
            if (index.projection or {}).get("ProjectionType") == "KEYS_ONLY":
                key_names = list(dict.fromkeys([*index.table_key_attrs, *(k["AttributeName"] for k in index.schema)]))
                results = [_keys_only(result, key_names) for result in results]
            else:
                results = [index.project(result) for result in results]
        if filter_expression is not None:
            results = [item for item in results if filter_expression.expr(item)]
        if projection_expressions:
            results = [result.project(projection_expressions) for result in results]
        return results, scanned_count, last_evaluated_key

    return query


_WINDOWS = frozenset({"<", "<=", ">", ">=", "BETWEEN"})


def _window(keys: list[str], comparison: str, bounds: list[str]) -> tuple[int, int]:
    """The ascending positions ``[low, high)`` whose sort key satisfies ``key <comparison> bounds``."""
    if comparison == "<":
        return 0, bisect.bisect_left(keys, bounds[0])
    if comparison == "<=":
        return 0, bisect.bisect_right(keys, bounds[0])
    if comparison == ">":
        return bisect.bisect_right(keys, bounds[0]), len(keys)
    if comparison == ">=":
        return bisect.bisect_left(keys, bounds[0]), len(keys)
    low, high = bisect.bisect_left(keys, bounds[0]), bisect.bisect_right(keys, bounds[1])
    return low, max(low, high)


def _keys_only(item: Any, names: list[str]) -> Any:
    """What moto's KEYS_ONLY projection makes (an item of just the key attributes), without its round trip
    through plain JSON and deep copies."""
    projected: Any = Item.__new__(Item)
    projected.hash_key, projected.range_key = item.hash_key, item.range_key
    attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(attrs, {name: item.attrs[name] for name in names if name in item.attrs})
    projected.attrs = attrs
    return projected


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _fast_execute(original: Any) -> Any:
    def execute_result(self: Any, context: Any) -> Any:
        operation = str(context.operation_model.name)
        if operation not in _READ_OPERATIONS or isinstance(self.result, Exception):
            return original(self, context)
        content_type = "application/x-amz-json-{}".format(
            context.service_model.metadata.get("jsonVersion", "1.0"),
        )
        return 200, {"Content-Type": content_type}, json.dumps(self.result, default=_json_default)

    return execute_result


def _invalidating(original: Any) -> Any:
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        _CACHE.clear()
        try:
            return original(self, *args, **kwargs)
        finally:
            _CACHE.clear()

    return write


class _TablesNotCopied:
    """Stands for the ``copy`` module inside moto's backend while a transaction runs: a whole table (moto's rollback
    backup) is "copied" as itself, because ``_item_backups`` has saved the items the transaction touches; anything
    else is copied as ``copy`` copies it (moto's ``update_item`` deep-copies the item it updates)."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, moto_table.Table) else copy.deepcopy(value, memo)

    @staticmethod
    def copy(value: Any) -> Any:
        return copy.copy(value)


_Backup = tuple[Any, DynamoType, DynamoType | None, Any]
"""A table, an item's hash key and range key, and a deep copy of the item (``None``: it did not exist)."""


def _item_backups(backend: Any, transact_items: Sequence[dict[str, Any]]) -> list[_Backup] | None:
    """Deep copies of the items a transaction touches; ``None`` when the request is not one this knows how to back
    up (moto then runs it as released, and answers any error in it the same way)."""
    backups: list[_Backup] = []
    for entry in transact_items:
        if len(entry) != 1:
            return None
        ((operation, request),) = entry.items()
        table = backend.tables.get(request.get("TableName"))
        if table is None or operation not in ("ConditionCheck", "Put", "Delete", "Update"):
            return None
        key = request["Item"] if operation == "Put" else request["Key"]
        if table.hash_key_attr not in key or (table.range_key_attr is not None and table.range_key_attr not in key):
            return None
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
        backups.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return backups


def _restore(backups: list[_Backup]) -> None:
    for table, hash_key, range_key, saved in reversed(backups):  # the first backup of an item is its state before
        if range_key is None:
            if saved is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = saved
        elif saved is None:
            table.items[hash_key].pop(range_key, None)
        else:
            table.items[hash_key][range_key] = saved


def _fast_transact(original: Any) -> Any:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        backups = _item_backups(self, transact_items)
        if backups is None or any(table.stream_shard is not None for table, *_ in backups):
            return original(self, transact_items)
        setattr(moto_models, "copy", _TablesNotCopied)  # noqa: B010 - moto's backend module refers to `copy`
        try:
            return original(self, transact_items)
        except Exception:
            _restore(backups)
            raise
        finally:
            setattr(moto_models, "copy", copy)  # noqa: B010

    return transact_write_items


MAX_ITEM_BYTES = 405_000
"""moto's item size limit (``LimitedSizeDict``: between DynamoDB's measured 409 and 410 KB)."""


def _item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """``Item.__init__`` with moto's size check made once on the whole item (see the module doc)."""
    self.hash_key = hash_key
    self.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in values.items()) > MAX_ITEM_BYTES:
        raise ItemSizeTooLarge
    built = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(built, values)
    self.attrs = built


class BulkLoader:
    """The two calls ``SessionWriter.load`` makes (``get_item``, ``batch_write_item``), straight into moto's backend
    in this process: the items go to ``DynamoDBBackend.put_item`` as moto's own ``BatchWriteItem`` answer sends them,
    without botocore's validation and serialization, moto's request parsing and the JSON in between (about half of
    loading 261,000 sessions). The writer's own work (documents, identity items, write limits, counters) runs as it
    does on any client. ``check_bulk_load`` compares a table loaded this way with one loaded through the SDK."""

    def __init__(self, region: str) -> None:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        self._backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]

    def get_item(self, *, TableName: str, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        item = self._backend.get_item(TableName, Key)
        return {"Item": item.to_json()["Attributes"]} if item is not None else {}

    def batch_write_item(self, *, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        for table, requests in RequestItems.items():  # the writer never repeats an item in a batch (it checks)
            for request in requests:
                self._backend.put_item(table, request["PutRequest"]["Item"])
        return {"UnprocessedItems": {}}


def _scan_all(call: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": table}
    while True:
        page = call("Scan", params)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def check_bulk_load(call: Any, through_sdk: str, through_backend: str) -> int:
    """The same sessions loaded through the SDK and through :class:`BulkLoader`: both tables must hold the same
    items. Returns the number of items compared."""
    sdk, backend = _scan_all(call, through_sdk), _scan_all(call, through_backend)
    if sdk != backend:
        raise AssertionError("loading through moto's backend stored different items than loading through the SDK")
    return len(sdk)


@contextmanager
def accelerated(enabled: bool = True) -> Iterator[None]:
    """Patch moto (this process) as described in the module doc while the block runs."""
    if not enabled:
        yield
        return
    saved: list[tuple[Any, str, Any]] = [
        (moto_table.Table, "query", moto_table.Table.query),
        (moto_responses.DynamoResult, "execute_result", moto_responses.DynamoResult.execute_result),
    ]
    saved += [(DynamoDBBackend, name, getattr(DynamoDBBackend, name)) for name in _WRITES]
    saved.append((Item, "__init__", Item.__init__))
    setattr(Item, "__init__", _item_init)  # noqa: B010 - patching a method
    _CACHE.clear()
    setattr(moto_table.Table, "query", _fast_query(moto_table.Table.query))  # noqa: B010 - patching a method
    setattr(  # noqa: B010
        moto_responses.DynamoResult, "execute_result", _fast_execute(moto_responses.DynamoResult.execute_result)
    )
    for name in _WRITES:
        write = getattr(DynamoDBBackend, name)
        setattr(
            DynamoDBBackend, name, _invalidating(_fast_transact(write) if name == "transact_write_items" else write)
        )
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)
        _CACHE.clear()


def _comparable(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def check_equivalence(call: Any, requests: Sequence[tuple[str, dict[str, Any]]]) -> int:
    """Replay ``(operation, params)`` requests through ``call`` (an unwrapped ``_make_api_call``) with
    moto as released and with the patches; raise ``AssertionError`` on any difference. Returns how many
    were compared. Must be called while the patches are *not* active."""
    plain = [_comparable(call(operation, params)) for operation, params in requests]
    with accelerated():
        fast = [_comparable(call(operation, params)) for operation, params in requests]
    for (operation, params), expected, got in zip(requests, plain, fast, strict=True):
        if expected != got:
            raise AssertionError(f"the accelerated emulation answered {operation} {params} differently")
    return len(requests)


def _snapshot(call: Any, table: str, transactions: Sequence[list[dict[str, Any]]]) -> tuple[Any, ...]:
    """What the transactions could change: the table's item count and every item they touch (read consistently)."""
    key_names = [key["AttributeName"] for key in call("DescribeTable", {"TableName": table})["Table"]["KeySchema"]]
    keys = []
    for transaction in transactions:
        for entry in transaction:
            ((operation, request),) = entry.items()
            key = request["Item"] if operation == "Put" else request["Key"]
            keys.append({name: key[name] for name in key_names})
    count, request = 0, {"TableName": table, "Select": "COUNT"}
    while True:
        page = call("Scan", request)
        count += page["Count"]
        if "LastEvaluatedKey" not in page:
            break
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}
    items = [call("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}).get("Item") for key in keys]
    return count, json.dumps(items, sort_keys=True)


def check_rollback(call: Any, table: str, transactions: Sequence[list[dict[str, Any]]]) -> int:
    """Run transactions that must be cancelled (each writes, then fails a condition) through ``call`` (an unwrapped
    ``_make_api_call``) with moto as released and with the patches; the items they touch and the table's item count
    must be as they were after each (raise ``AssertionError`` otherwise). Returns how many were checked. Must be
    called while the patches are *not* active, on a small table (moto as released copies it for each item of a
    transaction)."""
    from botocore.exceptions import ClientError

    before = _snapshot(call, table, transactions)
    for patched in (False, True):
        with accelerated(patched):
            for transaction in transactions:
                try:
                    call("TransactWriteItems", {"TransactItems": transaction})
                except ClientError as error:
                    if error.response["Error"]["Code"] != "TransactionCanceledException":
                        raise
                else:
                    raise AssertionError("a transaction that must be cancelled was not")
                if _snapshot(call, table, transactions) != before:
                    raise AssertionError(f"a cancelled transaction changed the table (patched: {patched})")
    return len(transactions)
