"""One builder per OAI-PMH verb, and envelope(): arguments in, a complete XML document out.

Responses are assembled as text around the metadata fragments each record stored at write
time, so a ListRecords page is one indexed read plus concatenation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import replace

from catalogue_core.store import ListedRecord, ListQuery, StoredRecord
from catalogue_core.store import base as store_base

from .errors import (
    BadResumptionToken,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoMetadataFormats,
    NoRecordsMatch,
    NoSetHierarchy,
    OAIError,
)
from .formats import FORMATS
from .provider import Provider
from .resumption_token import ListState
from .set_names import set_name
from .verbs import SECONDS, OAIRequest, parse_arguments

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_XSD = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_ID_XSD = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_PROLOG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{OAI_NS} {OAI_XSD}">'
)
_ATTRIBUTE_SPACE = str.maketrans({"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})


Built = tuple[str, str]  # (responseDate, verb element)


def escape(text: str) -> str:
    """Return text escaped for XML content and double-quoted attributes."""
    # Chained replace beats a translate table by far on the short strings seen here.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text.translate(_ATTRIBUTE_SPACE) if ("\t" in text or "\n" in text or "\r" in text) else text


def now() -> str:
    """Return the current datestamp."""
    return _datestamp(int(store_base.utcnow()))


@functools.lru_cache(maxsize=1)
def _datestamp(second: int) -> str:
    # Every list page asks for now; strftime once per second, not per page.
    return store_base.format_datestamp(second)


def envelope(response_date: str, request: str, body: str) -> bytes:
    """Return the complete UTF-8 document around a verb element or error."""
    return f"{_PROLOG}<responseDate>{response_date}</responseDate>{request}{body}</OAI-PMH>\n".encode()


def request_element(base_url: str, request: OAIRequest | None) -> str:
    """Return <request>, echoing verb and arguments unless the request broke the rules."""
    attrs = ""
    if request is not None:
        pairs = [("verb", request.verb), *sorted(request.args.items())]
        attrs = "".join(f' {name}="{escape(value)}"' for name, value in pairs)
    return f"<request{attrs}>{escape(base_url)}</request>"


def error_element(exc: OAIError) -> str:
    """Return the <error> element of a protocol error."""
    return f'<error code="{exc.code}">{escape(exc.message)}</error>'


@functools.lru_cache(maxsize=4096)
def _set_specs(sets: tuple[str, ...]) -> str:
    # setSpecs match a pattern without markup characters; records share few combinations.
    return "".join(f"<setSpec>{spec}</setSpec>" for spec in sets)


def header(provider: Provider, record: StoredRecord | ListedRecord) -> str:
    """Return the <header> of a record; tombstones carry status="deleted"."""
    return _header(provider.identifier_xml(record.key), record.datestamp, record.deleted, record.sets)


def _header(ident: str, datestamp: str, deleted: bool, sets: tuple[str, ...]) -> str:
    status = ' status="deleted"' if deleted else ""
    specs = _set_specs(sets)
    return f"<header{status}><identifier>{ident}</identifier><datestamp>{datestamp}</datestamp>{specs}</header>"


def _record(provider: Provider, record: StoredRecord, prefix: str) -> str:
    if record.deleted:
        return f"<record>{header(provider, record)}</record>"
    return f"<record>{header(provider, record)}<metadata>{record.rendered[prefix]}</metadata></record>"


def _items(provider: Provider, rows: list[ListedRecord], with_metadata: bool) -> str:
    """Return a list page's <header>s, or its <record>s (tombstones: header only), as one string."""
    # One loop over plain tuples, identifiers checked once per page: a page has 100 rows.
    idents = provider.identifiers_xml([row[0] for row in rows])
    if not with_metadata:
        return "".join([_header(ident, row[1], row[2], row[3]) for ident, row in zip(idents, rows, strict=True)])
    return "".join(
        [
            f"<record>{_header(ident, stamp, gone, sets)}</record>"
            if gone
            else f"<record>{_header(ident, stamp, gone, sets)}<metadata>{xml}</metadata></record>"
            for ident, (_, stamp, gone, sets, xml) in zip(idents, rows, strict=True)
        ]
    )


def _elements(pairs: Iterable[tuple[str, str]]) -> str:
    return "".join(f"<{name}>{escape(value)}</{name}>" for name, value in pairs)


def identify(provider: Provider, request: OAIRequest) -> Built:
    """Describe the repository."""
    cfg = provider.config
    # A write still in flight may commit with a datestamp from before now, so the watermark
    # bounds it: both together are a guaranteed lower limit (4.2).
    store = provider.store
    watermark = store.safe_now()
    earliest = min(store.earliest_datestamp() or watermark, watermark)
    description = (
        f'<description><oai-identifier xmlns="{OAI_ID_NS}" xsi:schemaLocation="{OAI_ID_NS} {OAI_ID_XSD}">'
        f"<scheme>oai</scheme><repositoryIdentifier>{cfg.repository_id}</repositoryIdentifier>"
        f"<delimiter>:</delimiter><sampleIdentifier>oai:{cfg.repository_id}:10.5072/example-1</sampleIdentifier>"
        "</oai-identifier></description>"
    )
    fields = [
        ("repositoryName", cfg.repository_name),
        ("baseURL", cfg.base_url),
        ("protocolVersion", "2.0"),
        ("adminEmail", cfg.admin_email),
        ("earliestDatestamp", earliest),
        ("deletedRecord", "persistent"),
        ("granularity", SECONDS),
        ("compression", "gzip"),
        ("compression", "deflate"),
    ]
    return now(), f"<Identify>{_elements(fields)}{description}</Identify>"


def _absolute(provider: Provider, schema: str) -> str:
    """Return a schema URL; a path is a schema this server publishes itself."""
    return schema if schema.startswith(("http://", "https://")) else provider.config.site_url + schema


def list_metadata_formats(provider: Provider, request: OAIRequest) -> Built:
    """List every format, or those one item can be disseminated in."""
    formats = list(FORMATS.values())
    identifier = request.args.get("identifier")
    if identifier is not None:
        record = _lookup(provider, identifier, list(FORMATS))
        if not record.deleted:
            formats = [f for f in formats if f.prefix in record.rendered]
        if not formats:
            raise NoMetadataFormats(f"no metadata format is available for {identifier}")
    body = "".join(
        "<metadataFormat>"
        + _elements(
            [
                ("metadataPrefix", f.prefix),
                ("schema", _absolute(provider, f.schema)),
                ("metadataNamespace", f.namespace),
            ]
        )
        + "</metadataFormat>"
        for f in formats
    )
    return now(), f"<ListMetadataFormats>{body}</ListMetadataFormats>"


def list_sets(provider: Provider, request: OAIRequest) -> Built:
    """List every set some record belongs to, with its name."""
    if request.resumption_token is not None:
        raise BadResumptionToken("ListSets is answered in one response; this repository issued no token for it")
    specs = provider.store.set_specs()
    if not specs:
        raise NoSetHierarchy("the repository holds no records, so it has no sets yet")
    body = "".join(f"<set>{_elements([('setSpec', spec), ('setName', set_name(spec))])}</set>" for spec in specs)
    return now(), f"<ListSets>{body}</ListSets>"


def _lookup(provider: Provider, identifier: str, formats: list[str]) -> StoredRecord:
    key = provider.key_of(identifier)
    record = provider.store.get(key, formats=formats) if key else None
    # A record whose DOI is not registered yet (public, pending_registration) is not disseminated.
    if record is None or not provider.harvested(record):
        raise IdDoesNotExist(f"{identifier} is not an identifier of this repository")
    return record


def _check_prefix(prefix: str) -> None:
    if prefix not in FORMATS:
        raise CannotDisseminateFormat(f"{prefix} is not a metadata format of this repository; see ListMetadataFormats")


def get_record(provider: Provider, request: OAIRequest) -> Built:
    """Return one record (or its tombstone's header) in the asked format."""
    prefix = request.args["metadataPrefix"]
    _check_prefix(prefix)
    record = _lookup(provider, request.args["identifier"], [prefix])
    if not record.deleted and prefix not in record.rendered:
        raise CannotDisseminateFormat(f"{request.args['identifier']} is not available as {prefix}")
    return now(), f"<GetRecord>{_record(provider, record, prefix)}</GetRecord>"


def _start(provider: Provider, request: OAIRequest) -> ListState:
    """Return the state of a list: decoded from its token, or started now at the watermark."""
    if request.resumption_token is not None:
        return provider.codec.decode(request.resumption_token, request.verb, now())
    prefix = request.args["metadataPrefix"]
    _check_prefix(prefix)
    # Freeze the upper bound at the harvest watermark: records written while the harvest
    # pages on fall after it, so pages never shift and the next from=responseDate sees them.
    watermark = provider.store.safe_now()
    until = min(request.until, watermark) if request.until else watermark
    return ListState(request.verb, prefix, request.from_, until, request.args.get("set"), watermark, total=0)


def _query(provider: Provider, state: ListState) -> ListQuery:
    """Return the store query of a list: its frozen arguments, and only the statuses harvested now."""
    return replace(state.query, statuses=provider.config.harvest_statuses)


def _page(provider: Provider, state: ListState, size: int) -> tuple[list[ListedRecord], bool]:
    """Return up to `size` records available in the list's format after its position, and whether more follow."""
    prefix = state.metadata_prefix
    found: list[ListedRecord] = []
    after = state.after
    while True:
        rows = provider.store.list_page(_query(provider, state), after, size + 1, prefix)
        # A live record without the format (stored before the format existed) is in neither
        # list (4.3): skip it here, so no token ever leads to a page of only skipped records.
        found += [r for r in rows if r.deleted or r.xml is not None]
        if len(found) > size or len(rows) <= size:
            return found[:size], len(found) > size
        after = (rows[-1].datestamp, rows[-1].key)


def _list(provider: Provider, request: OAIRequest, with_metadata: bool) -> Built:
    state = _start(provider, request)
    rows, more = _page(provider, state, provider.config.page_size)
    if not rows:
        raise NoRecordsMatch("no record matches the arguments")
    items = _items(provider, rows, with_metadata)
    total = state.total
    if state.after is None and more:
        total = provider.store.count(_query(provider, state))
    # completeListSize is an estimate; never let it contradict what was already served.
    total = max(total, state.cursor + len(rows) + int(more))
    token = ""
    if more:
        following = replace(state, total=total).advance(len(rows), (rows[-1].datestamp, rows[-1].key))
        token = (
            f'<resumptionToken completeListSize="{total}" cursor="{state.cursor}" '
            f'expirationDate="{state.expires}">{provider.codec.encode(following)}</resumptionToken>'
        )
    elif state.after is not None:
        token = f'<resumptionToken completeListSize="{total}" cursor="{state.cursor}"/>'
    # Every page of one list reports the watermark: whichever page's responseDate a harvester
    # keeps as its next `from`, nothing written during the harvest is skipped.
    return state.watermark, f"<{request.verb}>{items}{token}</{request.verb}>"


def list_identifiers(provider: Provider, request: OAIRequest) -> Built:
    """Return a page of headers."""
    return _list(provider, request, with_metadata=False)


def list_records(provider: Provider, request: OAIRequest) -> Built:
    """Return a page of records with metadata (tombstones: header only)."""
    return _list(provider, request, with_metadata=True)


BUILDERS: dict[str, Callable[[Provider, OAIRequest], Built]] = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}


def respond(provider: Provider, pairs: Iterable[tuple[str, str]]) -> bytes:
    """Answer one OAI-PMH request given as (name, value) pairs; protocol errors become <error>."""
    request = None
    base = provider.config.base_url
    try:
        request = parse_arguments(pairs)
        response_date, body = BUILDERS[request.verb](provider, request)
    except OAIError as exc:
        echo = request if exc.echoes_arguments else None
        return envelope(now(), request_element(base, echo), error_element(exc))
    return envelope(response_date, request_element(base, request), body)
