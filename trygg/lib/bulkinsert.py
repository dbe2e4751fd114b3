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

The connection is taken once per call (`connections[DEFAULT_DB_ALIAS]`), not through
`django.db.connection`, a proxy that looks up the thread's connection on every attribute:
per row and field that was 53,000 look-ups for a batch of 10,000 visits. The adapters work
a column at a time (`map` over the rows), and what depends on the database (the date and
uuid formats) is settled when the plan is made, once per model and database.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

# PostgreSQL: from this many rows a batch is written with COPY (`_copy`). Measured on the
# 5-million-visit table: 10,000 visits 0.70 s by COPY against 1.39 s by unnest, 1,000 rows
# 0.12 s against 0.30 s, 300 rows 50 ms against 69 ms; 30 to 100 rows the same either way,
# so small batches (the alarm ingest's usual) keep the one statement.
COPY_FROM = 300

# One column of a batch: one field's value of every row, as the database takes it.
Adapter = Callable[[Sequence[models.Model], BaseDatabaseWrapper], list[Any]]


def insert_rows(rows: Sequence[models.Model]) -> None:
    """Insert instances of one model and set their ids, as `bulk_create` does. The ids come
    back in the order of the rows, as bulk_create relies on too."""
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]
    plan = _insert_plan(type(rows[0]), db)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            if plan.copy and len(rows) >= COPY_FROM:
                _copy(rows, plan, db, cursor)
                return
            cursor.execute(plan.sql, [adapt(rows, db) for adapt in plan.adapters])
            _set_ids(rows, cursor.fetchall(), db.alias)
            return
        per_statement = max(1, db.ops.bulk_batch_size(plan.fields, rows))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = _by_row([adapt(chunk, db) for adapt in plan.adapters])
            values = ", ".join([plan.row] * len(chunk))
            cursor.execute(f"{plan.sql} VALUES {values}{plan.tail}", params)
            _set_ids(chunk, cursor.fetchall(), db.alias)


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
    db = connections[DEFAULT_DB_ALIAS]
    plan = _insert_plan(model, db)
    sources = _values_plan(model, tuple(names), db)
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
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(plan.sql, columns)
            ids.extend(pk for (pk,) in cursor.fetchall())
        else:
            per_statement = max(1, db.ops.bulk_batch_size(plan.fields, rows))
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
    db = connections[DEFAULT_DB_ALIAS]
    plan = _update_plan(type(rows[0]), tuple(fields), db)
    columns = [adapt(rows, db) for adapt in plan.adapters]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(plan.sql, columns)
        else:
            cursor.executemany(plan.sql, list(zip(*columns, strict=True)))


def _copy(
    rows: Sequence[models.Model], plan: _InsertPlan, db: BaseDatabaseWrapper, cursor: Any
) -> None:
    """PostgreSQL, a large batch: the ids reserved from the table's sequence in one query,
    then the rows, ids included, streamed with COPY. Neither side renders or parses a text
    array of every value (unnest's arrays are quoted element by element by psycopg and
    read back by the server): 10,000 visits take half the time of `INSERT … SELECT
    unnest(…)` (docs/benchmarks.md, "Visit sync"). Triggers (the deferred
    foreign-key checks) and unique indexes work as for an INSERT."""
    cursor.execute(plan.reserve, [len(rows)])
    ids = [pk for (pk,) in cursor.fetchall()]
    columns = [adapt(rows, db) for adapt in plan.adapters]
    began = time.monotonic()
    # The psycopg cursor itself (Django's wrapper has no COPY): its errors are turned into
    # Django's (IntegrityError for a duplicate) as the wrapper would.
    with db.wrap_database_errors, cursor.cursor.copy(plan.copy) as copy:
        for values in zip(ids, *columns, strict=True):
            copy.write_row(values)
    if db.queries_logged:  # counted like any statement (tests, the debug toolbar)
        db.queries_log.append({"sql": plan.copy, "time": f"{time.monotonic() - began:.3f}"})
    _set_ids(rows, [(pk,) for pk in ids], db.alias)


def _by_row(columns: list[list[Any]]) -> list[Any]:
    """Columns of values as one flat list, row after row (SQLite's VALUES order)."""
    return [value for row in zip(*columns, strict=True) for value in row]


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
    copy: str = ""  # PostgreSQL, a model with a sequence for its ids: COPY, ids included
    reserve: str = ""  # and the query that takes as many ids from the sequence


@dataclass(frozen=True)
class _UpdatePlan:
    """What `update_rows` needs for one model and field list: the fields' adapters, then
    the primary key's."""

    adapters: list[Adapter]
    sql: str


_INSERT_PLANS: dict[tuple[type[models.Model], str, str], _InsertPlan] = {}
_UPDATE_PLANS: dict[tuple[type[models.Model], tuple[str, ...], str, str], _UpdatePlan] = {}


def _insert_plan(model: type[models.Model], db: BaseDatabaseWrapper) -> _InsertPlan:
    key = (model, db.alias, db.vendor)
    plan = _INSERT_PLANS.get(key)
    if plan is not None:
        return plan
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    quote = db.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    head = f"INSERT INTO {quote(meta.db_table)} ({columns})"
    tail = f" RETURNING {quote(str(meta.pk.column))}"
    if db.vendor == "postgresql":
        arrays = ", ".join(f"%s::{f.db_type(db)}[]" for f in fields)
        sql = f"{head} SELECT * FROM unnest({arrays}){tail}"  # noqa: S608 (names)
    else:
        sql = head
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    adapters = [_adapter(f, db, adding=True) for f in fields]
    copy = reserve = ""
    if db.vendor == "postgresql" and isinstance(meta.pk, models.AutoField):
        pk_column = quote(str(meta.pk.column))
        copy = f"COPY {quote(meta.db_table)} ({pk_column}, {columns}) FROM STDIN"
        reserve = (
            f"SELECT nextval(pg_get_serial_sequence('{quote(meta.db_table)}', "  # noqa: S608
            f"'{meta.pk.column}')) FROM generate_series(1, %s)"
        )
    plan = _InsertPlan(fields, adapters, sql, row, tail, copy, reserve)
    _INSERT_PLANS[key] = plan
    return plan


ValueAdapter = Callable[[Any], Any]
_VALUES_PLANS: dict[
    tuple[type[models.Model], tuple[str, ...], str, str], list[tuple[int | None, ValueAdapter]]
] = {}


def _values_plan(
    model: type[models.Model], names: tuple[str, ...], db: BaseDatabaseWrapper
) -> list[tuple[int | None, ValueAdapter]]:
    """For each field `insert_values` writes (the insert plan's, in its order): where its
    value is in a row (None: not given, the default) and how it goes to the database."""
    key = (model, names, db.alias, db.vendor)
    plan = _VALUES_PLANS.get(key)
    if plan is not None:
        return plan
    fields = _insert_plan(model, db).fields
    by_attname = {str(f.attname): i for i, f in enumerate(fields)}
    unknown = [name for name in names if name not in by_attname]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"insert_values takes concrete, non-key attribute names: {names!r}")
    position = {name: i for i, name in enumerate(names)}
    plan = [(position.get(str(f.attname)), _value_adapter(f, db)) for f in fields]
    _VALUES_PLANS[key] = plan
    return plan


def _value_adapter(f: models.Field[Any, Any], db: BaseDatabaseWrapper) -> ValueAdapter:
    """How a Python value of field `f` goes to the database, as `save()` would send it."""
    if isinstance(f, models.ForeignKey) and type(f.target_field) in _PLAIN_FIELDS | _ID_FIELDS:
        return _same
    if isinstance(f, models.DateTimeField):
        adapt = db.ops.adapt_datetimefield_value
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
    return lambda value: f.get_db_prep_save(value, db)


def _same(value: Any) -> Any:
    return value


def _update_plan(
    model: type[models.Model], names: tuple[str, ...], db: BaseDatabaseWrapper
) -> _UpdatePlan:
    key = (model, names, db.alias, db.vendor)
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
    quote = db.ops.quote_name
    table = quote(meta.db_table)
    if db.vendor == "postgresql":
        aliases = [f"c{i}" for i in range(len(concrete))]
        assignments = ", ".join(
            f"{quote(str(f.column))} = v.{alias}"
            for f, alias in zip(concrete, aliases, strict=True)
        )
        arrays = ", ".join(f"%s::{f.db_type(db)}[]" for f in [*concrete, pk])
        sql = (
            f"UPDATE {table} AS t SET {assignments}"  # noqa: S608 (names)
            f" FROM unnest({arrays}) AS v ({', '.join(aliases)}, k)"
            f" WHERE t.{quote(str(pk.column))} = v.k"
        )
    else:
        assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in concrete)
        sql = f"UPDATE {table} SET {assignments} WHERE {quote(str(pk.column))} = %s"  # noqa: S608
    adapters = [*(_adapter(f, db, adding=False) for f in concrete), _primary_key]
    plan = _UpdatePlan(adapters, sql)
    _UPDATE_PLANS[key] = plan
    return plan


_pk = attrgetter("pk")


def _primary_key(rows: Sequence[models.Model], db: BaseDatabaseWrapper) -> list[Any]:
    return list(map(_pk, rows))


def _set_ids(rows: Sequence[models.Model], ids: Sequence[tuple[Any, ...]], alias: str) -> None:
    if len(ids) != len(rows):
        raise DatabaseError("The database did not return the ids of inserted rows.")
    meta = rows[0]._meta
    # `row.pk = …` walks the model's parents for every row; a model without any (all of
    # ours) has one column to set.
    attname = None if meta.parents else meta.pk.attname
    for row, (pk,) in zip(rows, ids, strict=True):
        if attname is None:
            row.pk = pk
        else:
            row.__dict__[attname] = pk
        state = row._state
        state.adding = False
        state.db = alias


def _adapter(f: models.Field[Any, Any], db: BaseDatabaseWrapper, *, adding: bool) -> Adapter:
    """How one field's values go to the database, as `save()` would send them when `adding`
    a row (an insert) or updating one. What depends on the database is settled here, from
    `db` (the plan is per database); what runs per batch gets the batch's connection."""
    attname = f.attname
    value_of = attrgetter(attname)
    postgresql = db.vendor == "postgresql"
    if isinstance(f, models.ForeignKey):
        cache = f.cache_name

        def foreign_key(rows: Sequence[models.Model], db: BaseDatabaseWrapper) -> list[Any]:
            column = list(map(value_of, rows))
            if None in column:
                for n, row in enumerate(rows):
                    if column[n] is None and cache in row._state.fields_cache:
                        # Assigned before it was saved (as bulk_create allows): its id now.
                        related = row._state.fields_cache[cache]
                        column[n] = related.pk if related is not None else None
            return column

        return foreign_key
    if isinstance(f, models.DateTimeField):
        if f.auto_now or f.auto_now_add:
            return lambda rows, db: [
                db.ops.adapt_datetimefield_value(f.pre_save(row, adding)) for row in rows
            ]
        if postgresql:  # psycopg takes the datetime; Django's adapter returns it unchanged
            return lambda rows, db: list(map(value_of, rows))
        # A batch's rows share a few moments. Shared by threads: a value maps to the same
        # adapted value whichever thread adapts it, and only locals are returned.
        adapted: dict[dt.datetime, Any] = {}

        def moment(rows: Sequence[models.Model], db: BaseDatabaseWrapper) -> list[Any]:
            adapt = db.ops.adapt_datetimefield_value
            column: list[Any] = []
            for value in map(value_of, rows):
                if value is None:
                    column.append(None)
                    continue
                result = adapted.get(value)
                if result is None:
                    if len(adapted) > 4096:
                        adapted.clear()
                    result = adapted[value] = adapt(value)
                column.append(result)
            return column

        return moment
    if type(f) is models.DateField and not (f.auto_now or f.auto_now_add):
        prepare = f.get_prep_value  # as get_db_prep_save: a date stays, text is parsed
        if postgresql:  # Django's adapter returns the date unchanged
            return lambda rows, db: [
                value if value is None or type(value) is dt.date else prepare(value)
                for value in map(value_of, rows)
            ]
        return lambda rows, db: [
            None
            if value is None
            else db.ops.adapt_datefield_value(value if type(value) is dt.date else prepare(value))
            for value in map(value_of, rows)
        ]
    if isinstance(f, models.UUIDField):
        native = db.features.has_native_uuid_field
        to_python = f.to_python

        def identifier(rows: Sequence[models.Model], db: BaseDatabaseWrapper) -> list[Any]:
            column = [
                value if value is None or isinstance(value, uuid.UUID) else to_python(value)
                for value in map(value_of, rows)
            ]
            return column if native else [None if v is None else v.hex for v in column]

        return identifier
    if type(f) in _PLAIN_FIELDS:
        return lambda rows, db: list(map(value_of, rows))
    return lambda rows, db: [f.get_db_prep_save(f.pre_save(row, adding), db) for row in rows]


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
