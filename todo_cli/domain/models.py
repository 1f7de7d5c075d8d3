"""Domain models: what commands take in and what the repository gives back.

Every model is a frozen dataclass that knows nothing of SQLAlchemy. A task's
fields are declared once, in :mod:`todo_cli.domain.fields`, the chat log's in
:mod:`todo_cli.domain.chat`; this module holds the validation of input.

Input is validated by pydantic's validation engine, pydantic-core, against
rules stated next to the fields: the first of three layers, the tables' CHECK
constraints being the last. Why not ``pydantic.BaseModel``: defining the first
BaseModel class loads pydantic's model machinery, about 190 million
instructions (45 ms, a sixth of the whole stack's import time) on every
`todo add`, while a pydantic-core validator costs nothing beyond it. Valid
task input does not need even that: :func:`validate_task` applies the same
rules field by field, and leaves only what they refuse to the schema, whose
error messages are the ones users see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from todo_cli.domain.fields import INPUT_FIELDS, FieldSpec, Task
from todo_cli.errors import InvalidInput

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator, ValidationError
    from pydantic_core import core_schema as cs

# pydantic-core is imported only where input goes through a schema: `todo list`,
# `done` or `show` take no text, and `add` or `edit` with valid task fields
# check them directly (validate_task), so they do not pay for it (~20 ms).


def text_rule(check: Callable[[Any], Any], *, nullable: bool = False) -> cs.CoreSchema:
    """A string (never a number or bytes coerced to one) passed through ``check``."""
    from pydantic_core import core_schema as cs

    text: cs.CoreSchema = cs.str_schema(strict=True)
    if nullable:
        text = cs.nullable_schema(text)
    return cs.no_info_after_validator_function(check, text)


def field_rule(schema: cs.CoreSchema, *, required: bool = True) -> cs.TypedDictField:
    from pydantic_core import core_schema as cs

    return cs.typed_dict_field(schema, required=required)


# --- validation -----------------------------------------------------------------


class InputModel(Protocol):
    """What `parse` needs of a model: its rules, and a constructor for valid data."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @staticmethod
    def rules() -> dict[str, cs.TypedDictField]: ...


M = TypeVar("M", bound=InputModel)

# One validator per set of rules, built on first use: `todo add` builds one,
# `todo list` none.
_validators: dict[object, SchemaValidator] = {}


def _validator(key: object, rules: Callable[[], dict[str, cs.TypedDictField]]) -> SchemaValidator:
    validator = _validators.get(key)
    if validator is None:
        from pydantic_core import SchemaValidator
        from pydantic_core import core_schema as cs

        schema = cs.typed_dict_schema(rules(), extra_behavior="forbid")
        validator = _validators[key] = SchemaValidator(schema)
    return validator


def describe_validation_error(exc: ValidationError) -> str:
    """One readable sentence for the first thing wrong, without pydantic's jargon."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "value_error":
        return str(first["ctx"]["error"])
    if first["type"] == "literal_error" and where == "role":
        return f"role must be 'user' or 'assistant', not {first['input']!r}"
    if first["type"] == "missing":
        return f"{where} is missing"
    if first["type"] == "extra_forbidden":
        return f"unexpected field {where!r}"
    if first["type"].endswith("_type"):
        return f"{where} must be a {first['type'].removesuffix('_type')}"
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def _validate(
    key: object,
    rules: Callable[[], dict[str, cs.TypedDictField]],
    data: Mapping[str, Any],
    context: str,
) -> dict[str, Any]:
    from pydantic_core import ValidationError

    try:
        valid: dict[str, Any] = _validator(key, rules).validate_python(data)
    except ValidationError as exc:
        raise InvalidInput(f"{context}{describe_validation_error(exc)}") from None
    except InvalidInput as exc:
        if context:
            raise InvalidInput(f"{context}{exc.message}", hint=exc.hint) from None
        raise
    return valid


def parse(model: type[M], data: Mapping[str, Any], *, context: str = "") -> M:
    """Validate input into ``model``, turning failure into InvalidInput (exit 2)."""
    return model(**_validate(model, model.rules, data, context))


def _task_rule(spec: FieldSpec, *, partial: bool) -> cs.TypedDictField:
    from pydantic_core import core_schema as cs

    assert spec.clean is not None
    base: cs.CoreSchema
    if spec.kind == "text":
        base = cs.str_schema(strict=True)
    elif spec.kind == "tags":
        base = cs.list_schema(cs.str_schema(strict=True))
    else:
        # Instants arrive as datetimes (date words are parsed before this);
        # the field's own `clean` checks them.
        base = cs.any_schema()
    if spec.nullable:
        base = cs.nullable_schema(base)
    return field_rule(
        cs.no_info_after_validator_function(spec.clean, base),
        required=spec.required and not partial,
    )


def _task_rules(partial: bool) -> Callable[[], dict[str, cs.TypedDictField]]:
    def rules() -> dict[str, cs.TypedDictField]:
        return {spec.name: _task_rule(spec, partial=partial) for spec in INPUT_FIELDS}

    return rules


def validate_task(
    data: Mapping[str, Any], *, partial: bool = False, context: str = ""
) -> dict[str, Any]:
    """The values of a new task (or, ``partial``, of an edit), cleaned field by field.

    Keys are field names of :class:`~todo_cli.domain.fields.Task`; a field not
    given is absent from the result (an edit leaves it alone).
    """
    valid = _task_at_once(data, partial)
    if valid is not None:
        return valid
    return _validate(("task", partial), _task_rules(partial), data, context)


def _taken_as_is(spec: FieldSpec, value: Any) -> bool:
    """Whether `_task_rule`'s schema for `spec` passes `value` on to its clean unchanged."""
    if value is None:
        return spec.nullable
    if spec.kind == "text":
        return type(value) is str
    if spec.kind == "tags":
        return type(value) is list and all(type(tag) is str for tag in value)
    return True  # any_schema


def _task_at_once(data: Mapping[str, Any], partial: bool) -> dict[str, Any] | None:
    """What the rules of `_task_rule` make of valid input, without pydantic-core; else None.

    The same checks in the same order: each given field's type as its schema
    takes it (a plain str, a list of them; None where nullable), then the
    field's own ``clean``. Anything else (a missing title, an unknown key,
    another type, a value its ``clean`` refuses) is None, and the schema
    validates it as always, so every error reads as it does there. Why: a
    bulk add validates each of 100,000 lines (0.5 s through the schema, 0.15 s
    here), and a `todo add` need not import pydantic-core at all (~20 ms).
    """
    valid: dict[str, Any] = {}
    try:
        for spec in INPUT_FIELDS:
            if spec.name not in data:
                if spec.required and not partial:
                    return None
                continue
            value = data[spec.name]
            if not _taken_as_is(spec, value):
                return None
            assert spec.clean is not None
            valid[spec.name] = spec.clean(value)
    except (ValueError, InvalidInput):
        return None
    return valid if len(valid) == len(data) else None


__all__ = [
    "InputModel",
    "Task",
    "describe_validation_error",
    "field_rule",
    "parse",
    "text_rule",
    "validate_task",
]
