"""Personal data: which fields are personal, and how the tap hashes them (``hash_pii``).

The tap hashes inside every stream's ``post_process`` (singer-sdk's public per-record hook),
which singer-sdk runs before its stream maps: a user's own ``stream_maps`` only ever see the
hashes. The rules go by field, so streams and configured explores added later are covered
without a list of them:

- **Personal fields**, hashed whole: a field whose name (the Looker field after the view, or
  the stream property) has the word ``email`` in it (``email``, ``user_email``,
  ``email_address``), ends in ``first_name``, ``last_name``, ``full_name``,
  ``display_name`` or ``ip_address``, or is ``name`` / ``user_name`` of a user view (``user.name``,
  ``users.name``, ``sudo_user.name``, joined: ``user_name``); plus any field ``pii_fields``
  names (Looker's ``view.field`` or the property).
- **Filters** (a field named ``filters``, e.g. ``query.filters``): Looker keeps them as a JSON
  object of field -> value; the values of personal fields are hashed (a user filtering on
  ``user.email`` typed an address).
- **Name/value rows** (``event_attribute``): ``value`` is hashed when ``name`` is a personal
  field name (``email``, ``first_name``, ``ip_address``, ...).
- **Any other text** of any stream: every email address in it is replaced by its hash
  (history messages, filter expressions, attribute values, titles).

A hash is the SHA-256 hex of ``pii_salt`` + the value (UTF-8): the same value has the same
hash in every stream and run (an email hashed inside a filter equals the hashed ``email``
column), so joins still work; it is the formula of the project's former stream maps, so
warehouses loaded with them keep their hashes. Nulls and empty strings stay as they are.
Names typed into free text (a history message) are not recognised: only addresses are.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing as t
from dataclasses import dataclass, field

from tap_looker_activity.errors import LookerConfigError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tap_looker_activity.explores import Dimension

Record = dict[str, t.Any]

# An email address: the local part may hold an apostrophe (o'brien) but not start with one,
# so a quoted address in SQL ('ana@example.com') hashes the same as the address itself.
EMAIL_ADDRESS = re.compile(r"[\w.+-]+(?:'[\w.+-]+)*@[\w-]+(?:\.[\w-]+)+")
_NAME_SUFFIXES = ("first_name", "last_name", "full_name", "display_name", "ip_address")
_USER_VIEW = re.compile(r"^(?:\w+_)?users?$")  # user, users, sudo_user, created_by_user


def _is_personal_name(name: str) -> bool:
    """A field or property name that is personal wherever it appears."""
    lowered = name.lower()
    if "email" in lowered.split("_") or lowered.endswith(_NAME_SUFFIXES):
        return True
    view, _, rest = lowered.rpartition("_")
    return rest == "name" and bool(view) and bool(_USER_VIEW.match(view))


def is_personal(looker_name: str, name: str) -> bool:
    """Whether the field ``looker_name`` (``view.field``), emitted as ``name``, is personal."""
    view, _, bare = looker_name.lower().rpartition(".")
    if bare == "name" and _USER_VIEW.match(view):
        return True
    return _is_personal_name(bare) or _is_personal_name(name)


@dataclass(frozen=True)
class PersonalData:
    """The ``hash_pii`` settings, and the hashing of records by them."""

    enabled: bool = False
    salt: str = field(default="", repr=False)
    extra_fields: frozenset[str] = frozenset()  # pii_fields: view.field or property names

    def hash(self, value: str) -> str:
        """The salted SHA-256 hex of ``value``."""
        return hashlib.sha256((self.salt + value).encode("utf-8")).hexdigest()

    def hash_addresses(self, text: str) -> str:
        """``text`` with every email address in it replaced by its hash."""
        return EMAIL_ADDRESS.sub(lambda match: self.hash(match.group()), text)

    def is_personal(self, looker_name: str, name: str) -> bool:
        """A personal field by the rules, or one ``pii_fields`` names."""
        extra = self.extra_fields
        if extra and (looker_name.lower() in extra or name.lower() in extra):
            return True
        return is_personal(looker_name, name)

    def scrubber(  # noqa: C901 - one closure: the per-record path stays flat
        self, dimensions: Iterable[Dimension]
    ) -> Callable[[Record], Record]:
        """A function hashing, in place, the personal data of a record of these fields.

        Raises LookerConfigError when ``pii_fields`` names a field that is not text.
        """
        if not self.enabled:
            return _unchanged
        dims = {d.name: d for d in dimensions}
        actions: dict[str, Callable[[str], str]] = {}
        for name, dim in dims.items():
            actions[name] = self._action(dim.looker_name, name, dim.json_type)
        pairs = []
        for dim in dims.values():
            view, _, bare = dim.looker_name.rpartition(".")
            sibling = dims.get(dim.name[: -len("value")] + "name")
            if bare == "value" and sibling is not None and sibling.looker_name == f"{view}.name":
                pairs.append((sibling.name, dim.name))

        def scrub(record: Record) -> Record:
            for name, value in record.items():
                if isinstance(value, str) and value:
                    action = actions.get(name)
                    if action is None:  # a property without a Looker field
                        action = actions[name] = self._action(name, name, "string")
                    record[name] = action(value)
            for name_property, value_property in pairs:
                key, value = record.get(name_property), record.get(value_property)
                personal = isinstance(key, str) and self.is_personal(key, key)
                if personal and isinstance(value, str) and value:
                    record[value_property] = self.hash(value)
            return record

        return scrub

    def _action(self, looker_name: str, name: str, json_type: str) -> Callable[[str], str]:
        """What is done to a non-empty text value of this field."""
        if self.is_personal(looker_name, name):
            if json_type == "string":
                return self.hash
            if looker_name.lower() in self.extra_fields or name.lower() in self.extra_fields:
                msg = (
                    f"pii_fields: {looker_name} is not a text field ({json_type}); only text can "
                    "be hashed (take it out of pii_fields, or deselect it)"
                )
                raise LookerConfigError(msg)
        if looker_name.rpartition(".")[2].lower() == "filters":
            return self._filters
        return self._addresses

    def _addresses(self, text: str) -> str:
        return self.hash_addresses(text) if "@" in text else text

    def _filters(self, text: str) -> str:
        """A JSON filters object with the values of personal fields hashed."""
        if not text.lstrip().startswith("{"):
            return self._addresses(text)
        try:
            filters = json.loads(text)
        except ValueError:
            return self._addresses(text)
        if not isinstance(filters, dict):
            return self._addresses(text)
        changed = False
        for key, value in filters.items():
            if not isinstance(value, str) or not value:
                continue
            new = self.hash(value) if self.is_personal(key, key) else self._addresses(value)
            if new != value:
                filters[key], changed = new, True
        # Unchanged text when nothing was personal: Looker's own spelling is kept.
        return json.dumps(filters, ensure_ascii=False) if changed else text


def _unchanged(record: Record) -> Record:
    return record


def pii_fields_setting(value: object) -> frozenset[str]:
    """The ``pii_fields`` setting: a list, or its text (JSON list, or comma-separated)."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError as exc:
                msg = f"pii_fields is not valid JSON ({exc}); expected a list of field names"
                raise LookerConfigError(msg) from None
        else:
            value = [part for part in text.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        msg = f"pii_fields must be a list of field names, got {json.dumps(value)[:60]}"
        raise LookerConfigError(msg)
    return frozenset(v.strip().lower() for v in value)
