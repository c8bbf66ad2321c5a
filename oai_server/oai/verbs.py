"""The argument rules of each OAI-PMH verb, and parsing of a request's arguments against them."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from .errors import BadArgument, BadVerb

DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# Patterns of the OAI-PMH schema: an argument that breaks them could not be echoed validly.
_PREFIX_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")
_SET_SPEC_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*$")
# XML 1.0 cannot carry these, so an argument holding one is malformed (and never echoed).
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_ARGUMENT = 4096
# Never part of a URI (RFC 3986); our own identifiers %-encode them.
_NOT_IN_URI_RE = re.compile(r'[\s"<>\\^`{|}]')
_URI_XSD = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="u" type="xs:anyURI"/></xs:schema>'
_local = threading.local()


@dataclass(frozen=True)
class VerbRule:
    """Which arguments a verb requires, allows, and which one must stand alone."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    exclusive: str | None = None

    @property
    def allowed(self) -> frozenset[str]:
        """Return every argument name the verb accepts."""
        return self.required | self.optional | ({self.exclusive} if self.exclusive else set())


_LIST = VerbRule(frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}), "resumptionToken")
VERBS: dict[str, VerbRule] = {
    "Identify": VerbRule(),
    "ListMetadataFormats": VerbRule(optional=frozenset({"identifier"})),
    "ListSets": VerbRule(exclusive="resumptionToken"),
    "GetRecord": VerbRule(required=frozenset({"identifier", "metadataPrefix"})),
    "ListIdentifiers": _LIST,
    "ListRecords": _LIST,
}


@dataclass(frozen=True)
class OAIRequest:
    """A request whose verb and arguments passed the rules; dates are inclusive full datestamps."""

    verb: str
    args: dict[str, str] = field(default_factory=dict)
    from_: str | None = None
    until: str | None = None

    @property
    def resumption_token(self) -> str | None:
        """Return the resumptionToken argument, if given."""
        return self.args.get("resumptionToken")


def parse_date(name: str, value: str) -> tuple[str, str]:
    """Return (granularity, value as an inclusive seconds datestamp); raise BadArgument if malformed."""
    if _DAY_RE.match(value):
        granularity, fmt = DAY, "%Y-%m-%d"
    elif _SECONDS_RE.match(value):
        granularity, fmt = SECONDS, "%Y-%m-%dT%H:%M:%SZ"
    else:
        raise BadArgument(f"{name}={value!r} is not a date of granularity {DAY} or {SECONDS}", name)
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        raise BadArgument(f"{name}={value!r} is not a valid date", name) from None
    if granularity == SECONDS:
        return granularity, value
    # A day bound covers the whole day: from starts at its first second, until ends at its last.
    return granularity, value + ("T00:00:00Z" if name == "from" else "T23:59:59Z")


def _collect(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    collected: dict[str, list[str]] = {}
    for name, value in pairs:
        collected.setdefault(name, []).append(value)
    return collected


def _verb(collected: dict[str, list[str]]) -> str:
    verbs = collected.pop("verb", [])
    if not verbs:
        raise BadVerb("the verb argument is missing")
    if len(verbs) > 1:
        raise BadVerb("the verb argument is repeated")
    if verbs[0] not in VERBS:
        raise BadVerb("the value of the verb argument is not a legal OAI-PMH verb")
    return verbs[0]


def _check_values(verb: str, rule: VerbRule, collected: dict[str, list[str]]) -> dict[str, str]:
    args = {}
    for name, values in collected.items():
        if name not in rule.allowed:
            raise BadArgument(f"{verb} does not accept the argument {name!r}", name)
        if len(values) > 1:
            raise BadArgument(f"the argument {name} is repeated", name)
        value = values[0]
        if not value:
            raise BadArgument(f"the argument {name} is empty", name)
        if len(value) > _MAX_ARGUMENT or _XML_ILLEGAL_RE.search(value):
            raise BadArgument(f"the argument {name} is malformed", name)
        args[name] = value
    return args


def _check_syntax(args: dict[str, str]) -> None:
    prefix = args.get("metadataPrefix")
    if prefix is not None and not _PREFIX_RE.match(prefix):
        raise BadArgument(f"metadataPrefix={prefix!r} has characters a prefix cannot have", "metadataPrefix")
    spec = args.get("set")
    if spec is not None and not _SET_SPEC_RE.match(spec):
        raise BadArgument(f"set={spec!r} is not a valid setSpec", "set")
    identifier = args.get("identifier")
    if identifier is not None and not is_uri(identifier):
        raise BadArgument("the identifier is not a URI", "identifier")


def is_uri(value: str) -> bool:
    """Return whether the value is a URI that the OAI-PMH schema (xs:anyURI) accepts."""
    if _NOT_IN_URI_RE.search(value):
        return False
    schema = getattr(_local, "uri_schema", None)
    if schema is None:  # lxml schemas are not shared across threads
        schema = _local.uri_schema = etree.XMLSchema(etree.XML(_URI_XSD))
    element = etree.Element("u")
    element.text = value
    return schema.validate(element)


def parse_arguments(pairs: Iterable[tuple[str, str]]) -> OAIRequest:
    """Check the arguments against the verb's rules; raise BadVerb or BadArgument."""
    collected = _collect(pairs)
    verb = _verb(collected)
    rule = VERBS[verb]
    args = _check_values(verb, rule, collected)
    if rule.exclusive and rule.exclusive in args:
        if len(args) > 1:
            raise BadArgument(f"{rule.exclusive} is an exclusive argument: give it alone with the verb", rule.exclusive)
        return OAIRequest(verb, args)
    missing = sorted(rule.required - args.keys())
    if missing:
        raise BadArgument(f"{verb} requires the argument(s) {', '.join(missing)}", missing[0])
    _check_syntax(args)
    bounds = {name: parse_date(name, args[name]) for name in ("from", "until") if name in args}
    if len(bounds) == 2:
        if bounds["from"][0] != bounds["until"][0]:
            raise BadArgument("from and until must have the same granularity", "until")
        if bounds["from"][1] > bounds["until"][1]:
            raise BadArgument("from is later than until", "from")
    return OAIRequest(
        verb,
        args,
        from_=bounds["from"][1] if "from" in bounds else None,
        until=bounds["until"][1] if "until" in bounds else None,
    )
