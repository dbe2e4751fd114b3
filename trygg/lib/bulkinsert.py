"""Writing many rows of one model fast: `insert_rows` (as `bulk_create`) and `update_rows`
(as `bulk_update`), a few statements whatever the number of rows; `insert_values` takes the
rows as tuples of values instead of model instances, for the hottest paths.

Why not the ORM's own. `bulk_create` runs its insert compiler over every value of every
row (`prepare_value`, `get_db_prep_save`): for the alarm ingest that was about half its
Python time. `bulk_update` writes one `CASE WHEN pk = … THEN …` per field over the whole
batch, which the database evaluates row by row and Django builds value by value: the
largest cost of the ingest's and the dispatcher's threads (docs/benchmarks.md). Here each
field gets an adapter chosen once per model (the value as the ORM would send it), and the
statements are cached per model and field list, so a batch of a few rows does not pay for
working them out again.

The statements. SQLite: the insert is bulk_create's multi-row `VALUES … RETURNING id`, split
by the parameter limit; the update is one prepared statement stepped per row (SQLite runs
in the process, so that is cheapest). PostgreSQL: both take one array per column
(`INSERT … SELECT * FROM unnest(…)`, `UPDATE … FROM unnest(…)`), so the statement is short
and the same whatever the batch size; a VALUES list of every value of every row is a new,
long text each time, which psycopg scans for its placeholders in Python (it caches only
short statements) and the server parses value by value, and one statement per row is
parsed and planned per row by the server, as Django binds parameters on the client.

Model methods are not called: no `save()`, no signals, as with `bulk_create` and
`bulk_update`. Each value is what `save()` would write (`auto_now` and `auto_now_add` set as
it sets them), and an insert writes every concrete field, a field's default being whatever
the instance holds (the model sets it when the instance is made), so a field added to a
model is written too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, models
from django.utils import timezone

Adapter = Callable[[models.Model], Any]


def insert_rows(rows: Sequence[models.Model]) -> None:
    """Insert instances of one model and set their ids, as `bulk_create` does. The ids come
    back in the order of the rows, as bulk_create relies on too."""
    if not rows:
        return
    plan = _insert_plan(type(rows[0]))
    adapters = plan.adapters
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(plan.sql, [[adapt(row) for row in rows] for adapt in adapters])
            _set_ids(rows, cursor.fetchall())
            return
        per_statement = max(1, connection.ops.bulk_batch_size(plan.fields, rows))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [adapt(row) for row in chunk for adapt in adapters]
            values = ", ".join([plan.row] * len(chunk))
            cursor.execute(f"{plan.sql} VALUES {values}{plan.tail}", params)
            _set_ids(chunk, cursor.fetchall())


def insert_values(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[Any]:
    """Insert rows given as tuples of Python values, one per field of `names` (attribute
    names: "unit_id" for a foreign key), and return their ids in the order of the rows.
    Every other concrete field takes the value a new instance would hold, worked out once
    for the call: its default (a callable default called once), or the moment of the call
    for `auto_now` and `auto_now_add`. For hot paths whose rows would otherwise be model
    instances made only to be inserted (thousands of alarms at once): making an instance
    costs more than adapting and sending its values."""
    if not rows:
        return []
    plan = _insert_plan(model)
    sources = _values_plan(model, tuple(names))
    count = len(rows)
    columns: list[list[Any]] = []
    for f, (index, adapt) in zip(plan.fields, sources, strict=True):
        if index is None:
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                default: Any = timezone.now()
            else:
                default = f.get_default()
            columns.append([adapt(default)] * count)
        else:
            columns.append([adapt(row[index]) for row in rows])
    ids: list[Any] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(plan.sql, columns)
            ids.extend(pk for (pk,) in cursor.fetchall())
        else:
            per_statement = max(1, connection.ops.bulk_batch_size(plan.fields, rows))
            for start in range(0, count, per_statement):
                chunk = [column[start : start + per_statement] for column in columns]
                params = [value for values in zip(*chunk, strict=True) for value in values]
                statement_rows = len(chunk[0])
                values = ", ".join([plan.row] * statement_rows)
                cursor.execute(f"{plan.sql} VALUES {values}{plan.tail}", params)
                ids.extend(pk for (pk,) in cursor.fetchall())
    if len(ids) != count:
        raise DatabaseError("The database did not return the ids of inserted rows.")
    return ids


def update_rows(rows: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` (names, as for `bulk_update`) of saved instances of one model to their
    rows, found by primary key. Rows that no longer exist are skipped, as bulk_update does."""
    if not rows:
        return
    plan = _update_plan(type(rows[0]), tuple(fields))
    adapters = plan.adapters
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(plan.sql, [[adapt(row) for row in rows] for adapt in adapters])
        else:
            cursor.executemany(plan.sql, [[adapt(row) for adapt in adapters] for row in rows])


# The plans ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _InsertPlan:
    """What `insert_rows` needs for one model, worked out once (for a batch of a few rows,
    `db_type` alone would be a tenth of the cost)."""

    fields: list[models.Field[Any, Any]]
    adapters: list[Adapter]
    sql: str  # PostgreSQL: the whole statement; SQLite: up to VALUES
    row: str  # SQLite: one row's placeholders
    tail: str  # SQLite: RETURNING


@dataclass(frozen=True)
class _UpdatePlan:
    """What `update_rows` needs for one model and field list: the fields' adapters, then
    the primary key's."""

    adapters: list[Adapter]
    sql: str


_INSERT_PLANS: dict[tuple[type[models.Model], str, str], _InsertPlan] = {}
_UPDATE_PLANS: dict[tuple[type[models.Model], tuple[str, ...], str, str], _UpdatePlan] = {}


def _insert_plan(model: type[models.Model]) -> _InsertPlan:
    key = (model, connection.alias, connection.vendor)
    plan = _INSERT_PLANS.get(key)
    if plan is not None:
        return plan
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    head = f"INSERT INTO {quote(meta.db_table)} ({columns})"
    tail = f" RETURNING {quote(str(meta.pk.column))}"
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        sql = f"{head} SELECT * FROM unnest({arrays}){tail}"  # noqa: S608 (names)
    else:
        sql = head
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    plan = _InsertPlan(fields, [_adapter(f, adding=True) for f in fields], sql, row, tail)
    _INSERT_PLANS[key] = plan
    return plan


ValueAdapter = Callable[[Any], Any]
_VALUES_PLANS: dict[
    tuple[type[models.Model], tuple[str, ...], str, str], list[tuple[int | None, ValueAdapter]]
] = {}


def _values_plan(
    model: type[models.Model], names: tuple[str, ...]
) -> list[tuple[int | None, ValueAdapter]]:
    """For each field `insert_values` writes (the insert plan's, in its order): where its
    value is in a row (None: not given, the default) and how it goes to the database."""
    key = (model, names, connection.alias, connection.vendor)
    plan = _VALUES_PLANS.get(key)
    if plan is not None:
        return plan
    fields = _insert_plan(model).fields
    by_attname = {str(f.attname): i for i, f in enumerate(fields)}
    unknown = [name for name in names if name not in by_attname]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"insert_values takes concrete, non-key attribute names: {names!r}")
    position = {name: i for i, name in enumerate(names)}
    plan = [(position.get(str(f.attname)), _value_adapter(f)) for f in fields]
    _VALUES_PLANS[key] = plan
    return plan


def _value_adapter(f: models.Field[Any, Any]) -> ValueAdapter:
    """How a Python value of field `f` goes to the database, as `save()` would send it."""
    if isinstance(f, models.ForeignKey) and type(f.target_field) in _PLAIN_FIELDS | _ID_FIELDS:
        return _same
    if isinstance(f, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        # A batch's rows share a few moments (as `_adapter`'s cache, shared by threads).
        adapted: dict[dt.datetime, Any] = {}

        def moment(value: dt.datetime | None) -> Any:
            if value is None:
                return None
            result = adapted.get(value)
            if result is None:
                if len(adapted) > 4096:
                    adapted.clear()
                result = adapted[value] = adapt(value)
            return result

        return moment
    if type(f) in _PLAIN_FIELDS:
        return _same
    return lambda value: f.get_db_prep_save(value, connection)


def _same(value: Any) -> Any:
    return value


def _update_plan(model: type[models.Model], names: tuple[str, ...]) -> _UpdatePlan:
    key = (model, names, connection.alias, connection.vendor)
    plan = _UPDATE_PLANS.get(key)
    if plan is not None:
        return plan
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [meta.get_field(name) for name in names]
    if not names or any(not f.concrete or f.primary_key or f.many_to_many for f in fields):
        raise ValueError(f"update_rows writes concrete, non-key fields only: {names!r}")
    concrete: list[models.Field[Any, Any]] = fields  # type: ignore[assignment]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    if connection.vendor == "postgresql":
        aliases = [f"c{i}" for i in range(len(concrete))]
        assignments = ", ".join(
            f"{quote(str(f.column))} = v.{alias}"
            for f, alias in zip(concrete, aliases, strict=True)
        )
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [*concrete, pk])
        sql = (
            f"UPDATE {table} AS t SET {assignments}"  # noqa: S608 (names)
            f" FROM unnest({arrays}) AS v ({', '.join(aliases)}, k)"
            f" WHERE t.{quote(str(pk.column))} = v.k"
        )
    else:
        assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in concrete)
        sql = f"UPDATE {table} SET {assignments} WHERE {quote(str(pk.column))} = %s"  # noqa: S608
    plan = _UpdatePlan([*(_adapter(f, adding=False) for f in concrete), _primary_key], sql)
    _UPDATE_PLANS[key] = plan
    return plan


def _primary_key(row: models.Model) -> Any:
    return row.pk


def _set_ids(rows: Sequence[models.Model], ids: Sequence[tuple[Any, ...]]) -> None:
    if len(ids) != len(rows):
        raise DatabaseError("The database did not return the ids of inserted rows.")
    for row, (pk,) in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias


def _adapter(f: models.Field[Any, Any], *, adding: bool) -> Adapter:
    """How one field's value of a row goes to the database, as `save()` would send it when
    `adding` a row (an insert) or updating one."""
    attname = f.attname
    if isinstance(f, models.ForeignKey):
        cache = f.cache_name

        def foreign_key(row: models.Model) -> Any:
            value = getattr(row, attname)
            if value is None and cache in row._state.fields_cache:
                # Assigned before it was saved (as bulk_create allows): its id now.
                related = row._state.fields_cache[cache]
                value = related.pk if related is not None else None
            return value

        return foreign_key
    if isinstance(f, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        if f.auto_now or f.auto_now_add:
            return lambda row: adapt(f.pre_save(row, adding))
        # A batch's rows share a few moments. Shared by threads: a value maps to the same
        # adapted value whichever thread adapts it, and only locals are returned.
        adapted: dict[dt.datetime, Any] = {}

        def moment(row: models.Model) -> Any:
            value = getattr(row, attname)
            if value is None:
                return None
            result = adapted.get(value)
            if result is None:
                if len(adapted) > 4096:
                    adapted.clear()
                result = adapted[value] = adapt(value)
            return result

        return moment
    if type(f) in _PLAIN_FIELDS:
        return lambda row: getattr(row, attname)
    return lambda row: f.get_db_prep_save(f.pre_save(row, adding), connection)


# Keys whose values are integers the drivers take as they are.
_ID_FIELDS: frozenset[type[models.Field[Any, Any]]] = frozenset(
    {models.AutoField, models.BigAutoField, models.SmallAutoField}
)
# Fields whose Python value the database drivers take as it is (bytes for BinaryField).
_PLAIN_FIELDS: frozenset[type[models.Field[Any, Any]]] = frozenset(
    {
        models.CharField,
        models.TextField,
        models.SlugField,
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveBigIntegerField,
        models.BooleanField,
        models.BinaryField,
    }
)
